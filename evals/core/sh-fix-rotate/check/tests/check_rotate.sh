#!/usr/bin/env bash
set -u
fail() { echo "FAIL: $*"; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
log="$d/my app.log"
for run in 1 2 3 4 5; do
  echo "run $run" > "$log"
  bash rotate.sh "$log" 3 2>/dev/null || fail "run $run exited non-zero"
  [[ -f $log && ! -s $log ]] || fail "run $run: no new empty log"
done
[[ $(cat "$log.1") == "run 5" ]] || fail ".1 holds '$(cat "$log.1" 2>/dev/null)', expected 'run 5'"
[[ $(cat "$log.2") == "run 4" ]] || fail ".2 holds '$(cat "$log.2" 2>/dev/null)', expected 'run 4'"
[[ $(cat "$log.3") == "run 3" ]] || fail ".3 holds '$(cat "$log.3" 2>/dev/null)', expected 'run 3'"
[[ ! -e $log.4 && ! -e $log.5 ]] || fail "more than KEEP copies"

log1="$d/one.log"
echo a > "$log1"; bash rotate.sh "$log1" 1 2>/dev/null || fail "KEEP=1 failed"
echo b > "$log1"; bash rotate.sh "$log1" 1 2>/dev/null || fail "KEEP=1 failed"
[[ $(cat "$log1.1") == b && ! -e $log1.2 ]] || fail "KEEP=1 should keep only the newest copy"

before=$(ls "$d" | sort)
err=$(bash rotate.sh "$d/missing.log" 3 2>&1 >/dev/null); rc=$?
((rc == 0)) || fail "missing log should exit 0, got $rc"
[[ -n $err ]] || fail "missing log should print a message on stderr"
[[ $(ls "$d" | sort) == "$before" ]] || fail "missing log changed files"

bash rotate.sh "$log" >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "one argument should exit 2"
bash rotate.sh "$log" 0 >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "KEEP=0 should exit 2"
bash rotate.sh "$log" x >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "KEEP=x should exit 2"
bash rotate.sh "$log" 3 extra >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "three arguments should exit 2"
[[ $(cat "$log.1") == "run 5" ]] || fail "a refused call changed the copies"
echo ok
