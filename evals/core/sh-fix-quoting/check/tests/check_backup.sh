#!/usr/bin/env bash
set -u
fail() { echo "FAIL: $*"; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
src="$d/My Notes"
mkdir -p "$src"
echo one > "$src/plain.md"
echo two > "$src/with space.md"
echo three > "$src/  lead and * star.md"
echo skip > "$src/todo.txt"
out=$(bash backup_notes.sh "$src" "$d/back up" 2>&1) || fail "script failed: $out"
[[ $out == "backed up 3 notes" ]] || fail "printed: $out"
[[ $(cat "$d/back up/plain.md.bak") == one ]] || fail "plain.md not copied"
[[ $(cat "$d/back up/with space.md.bak") == two ]] || fail "'with space.md' not copied"
[[ $(cat "$d/back up/  lead and * star.md.bak") == three ]] || fail "'  lead and * star.md' not copied"
[[ ! -e "$d/back up/todo.txt.bak" ]] || fail "todo.txt should not be copied"
[[ $(ls "$d/back up" | wc -l) -eq 3 ]] || fail "unexpected files in the destination"

mkdir "$d/empty dir"
out=$(bash backup_notes.sh "$d/empty dir" "$d/dest2" 2>&1) || fail "empty source failed: $out"
[[ $out == "backed up 0 notes" ]] || fail "empty source printed: $out"
echo ok
