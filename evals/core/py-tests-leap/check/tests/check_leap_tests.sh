#!/usr/bin/env bash
# The agent's tests must pass on calendar_utils.py and fail on each faulty
# version in tests/mutants/. Mutants run in a scratch copy, so the workspace
# is never left mutated.
set -u
export PYTHONDONTWRITEBYTECODE=1
fail() { echo "FAIL: $*"; exit 1; }
tests=tests/test_calendar_utils.py
[[ -f $tests ]] || fail "$tests does not exist"
python3 -m pytest -q -p no:cacheprovider "$tests" || fail "the tests do not pass on the correct calendar_utils.py"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
missed=()
for mutant in tests/mutants/*.py; do
  rm -rf "$scratch/repo"
  cp -a . "$scratch/repo"
  cp "$mutant" "$scratch/repo/calendar_utils.py"
  if (cd "$scratch/repo" && python3 -m pytest -q -p no:cacheprovider "$tests") >/dev/null 2>&1; then
    missed+=("$(basename "$mutant" .py)")
  fi
done
((${#missed[@]} == 0)) || fail "the tests still pass when calendar_utils.py has one of these bugs: ${missed[*]}"
echo "ok: the tests pass on the correct code and catch every faulty version"
