#!/usr/bin/env bash
set -u
fail() { echo "FAIL: $*"; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
printf 'one two three\nfour five\n' > "$d/a.txt"
printf 'x\ny\nz\nw\n' > "$d/b.txt"
out=$(bash count_lines.sh "$d/a.txt" "$d/b.txt") || fail "script failed"
expected="$d/a.txt: 2
$d/b.txt: 4
total: 6"
[[ $out == "$expected" ]] || fail "got:
$out
expected:
$expected"
echo ok
