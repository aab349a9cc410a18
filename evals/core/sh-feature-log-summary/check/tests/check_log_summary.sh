#!/usr/bin/env bash
set -u
fail() { echo "FAIL: $*"; exit 1; }
[[ -f log_summary.sh ]] || fail "log_summary.sh does not exist"
out=$(bash log_summary.sh logs/app.log 2>/dev/null) || fail "failed on logs/app.log"
expected="DEBUG 1
INFO 4
WARN 1
ERROR 4
top errors:
3 database connection refused
1 template not found: home.html"
[[ $out == "$expected" ]] || fail "on logs/app.log got:
$out"

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cat > "$d/a.log" <<'LOG'
2024-05-02T08:00:00Z ERROR disk full on /var
2024-05-02T08:00:01Z ERROR b-error twice
2024-05-02T08:00:02Z ERROR a-error twice
LOG
cat > "$d/b.log" <<'LOG'
2024-05-02T09:00:00Z ERROR b-error twice
2024-05-02T09:00:01Z ERROR a-error twice
2024-05-02T09:00:02Z INFO ERROR in the message is not a level
2024-05-02T09:00:03Z ERROR disk full on /var
2024-05-02T09:00:04Z ERROR disk full on /var
2024-05-02T09:00:05Z ERROR template  not found:  x.html
LOG
out=$(bash log_summary.sh -n 2 "$d/a.log" "$d/b.log" 2>/dev/null) || fail "failed with -n 2 and two files"
expected="DEBUG 0
INFO 1
WARN 0
ERROR 8
top errors:
3 disk full on /var
2 a-error twice"
[[ $out == "$expected" ]] || fail "with -n 2 and two files got:
$out"

out=$(bash log_summary.sh -n 10 "$d/b.log" 2>/dev/null) || fail "failed with -n 10"
[[ $(tail -n 4 <<<"$out") == "2 disk full on /var
1 a-error twice
1 b-error twice
1 template  not found:  x.html" ]] || fail "with -n 10 got:
$out"

out=$(bash log_summary.sh -n 0 "$d/a.log" 2>/dev/null) || fail "failed with -n 0"
[[ $(tail -n 1 <<<"$out") == "top errors:" ]] || fail "-n 0 should list no errors"

bash log_summary.sh >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "no file should exit 2"
bash log_summary.sh -n x logs/app.log >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "-n x should exit 2"
bash log_summary.sh "$d/missing.log" >/dev/null 2>&1; [[ $? -eq 1 ]] || fail "a missing file should exit 1"
echo ok
