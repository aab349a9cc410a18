#!/usr/bin/env bash
# The agent's tests/roman_tests.rs must pass on src/lib.rs and fail on each
# faulty version in mutants/.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[[ -f tests/roman_tests.rs ]] || fail "tests/roman_tests.rs does not exist"
run() { cargo test --offline --quiet --test roman_tests "$@"; }
out=$(run 2>&1)
rc=$?
echo "$out" | tail -30
((rc == 0)) || fail "the tests do not pass on the correct src/lib.rs"
grep -Eq 'running [1-9][0-9]* tests?' <<<"$out" || fail "tests/roman_tests.rs holds no tests"
backup=$(mktemp)
cp src/lib.rs "$backup"
trap 'cp "$backup" src/lib.rs; rm -f "$backup"' EXIT
missed=()
for mutant in mutants/*.rs; do
  cp "$mutant" src/lib.rs
  if run >/dev/null 2>&1; then
    missed+=("$(basename "$mutant" .rs)")
  fi
done
((${#missed[@]} == 0)) || fail "the tests still pass when src/lib.rs has one of these bugs: ${missed[*]}"
echo "ok: the tests pass on the correct code and catch every faulty version"
