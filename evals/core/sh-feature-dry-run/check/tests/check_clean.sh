#!/usr/bin/env bash
set -u
fail() { echo "FAIL: $*"; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/src/sub"
touch "$d/src/a.o" "$d/src/keep.c" "$d/src/sub/b.tmp" "$d/src/notes.txt~" "$d/src/sub/c.h"

out=$(bash clean.sh --dry-run "$d/src" 2>&1) || fail "--dry-run exited non-zero: $out"
expected="would remove $d/src/a.o
would remove $d/src/notes.txt~
would remove $d/src/sub/b.tmp"
[[ $out == "$expected" ]] || fail "--dry-run printed:
$out
expected:
$expected"
for f in a.o keep.c sub/b.tmp notes.txt~ sub/c.h; do
  [[ -e $d/src/$f ]] || fail "--dry-run deleted $f"
done

out=$(bash clean.sh "$d/src" 2>&1) || fail "normal run exited non-zero: $out"
expected="removed $d/src/a.o
removed $d/src/notes.txt~
removed $d/src/sub/b.tmp"
[[ $out == "$expected" ]] || fail "normal run printed:
$out"
for f in a.o sub/b.tmp notes.txt~; do
  [[ ! -e $d/src/$f ]] || fail "$f was not deleted"
done
[[ -e $d/src/keep.c && -e $d/src/sub/c.h ]] || fail "a source file was deleted"

bash clean.sh >/dev/null 2>&1
[[ $? -eq 2 ]] || fail "no arguments should exit 2"
bash clean.sh --dry-run >/dev/null 2>&1
[[ $? -eq 2 ]] || fail "--dry-run without DIR should exit 2"
echo ok
