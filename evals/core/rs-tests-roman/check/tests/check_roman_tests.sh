#!/usr/bin/env bash
# The agent's tests/roman_tests.rs must pass on src/lib.rs and fail on each
# faulty version in mutants/. Mutants build in a scratch copy (sharing one
# target directory), so the workspace is never left mutated.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[[ -f tests/roman_tests.rs ]] || fail "tests/roman_tests.rs does not exist"
run() { cargo test --offline --quiet --test roman_tests "$@"; }
out=$(run 2>&1)
rc=$?
echo "$out" | tail -30
((rc == 0)) || fail "the tests do not pass on the correct src/lib.rs"
grep -Eq 'running [1-9][0-9]* tests?' <<<"$out" || fail "tests/roman_tests.rs holds no tests"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/repo"
cp -a Cargo.toml Cargo.lock src tests "$scratch/repo/"
export CARGO_TARGET_DIR="$scratch/target"
missed=()
for mutant in mutants/*.rs; do
  cp "$mutant" "$scratch/repo/src/lib.rs"
  if (cd "$scratch/repo" && run) >/dev/null 2>&1; then
    missed+=("$(basename "$mutant" .rs)")
  fi
done
((${#missed[@]} == 0)) || fail "the tests still pass when src/lib.rs has one of these bugs: ${missed[*]}"
echo "ok: the tests pass on the correct code and catch every faulty version"
