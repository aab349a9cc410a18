#!/usr/bin/env bash
# The agent's tests must pass on calendar_utils.py and fail on each faulty
# version in tests/mutants/.
set -u
export PYTHONDONTWRITEBYTECODE=1
fail() { echo "FAIL: $*"; exit 1; }
tests=tests/test_calendar_utils.py
[[ -f $tests ]] || fail "$tests does not exist"
python3 -m pytest -q -p no:cacheprovider "$tests" || fail "the tests do not pass on the correct calendar_utils.py"
cp calendar_utils.py /tmp/calendar_utils.orig.$$
trap 'cp /tmp/calendar_utils.orig.$$ calendar_utils.py; rm -f /tmp/calendar_utils.orig.$$' EXIT
for mutant in tests/mutants/*.py; do
  cp "$mutant" calendar_utils.py
  if python3 -m pytest -q -p no:cacheprovider "$tests" >/dev/null 2>&1; then
    fail "the tests still pass when calendar_utils.py has a bug ($(basename "$mutant" .py))"
  fi
done
echo "ok: the tests pass on the correct code and catch every faulty version"
