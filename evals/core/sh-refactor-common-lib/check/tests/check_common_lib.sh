#!/usr/bin/env bash
set -u
fail() { echo "FAIL: $*"; exit 1; }
root=$(pwd)
[[ -f lib/common.sh ]] || fail "lib/common.sh does not exist"
for f in log die require_dir; do
  grep -Eq "^[[:space:]]*(function[[:space:]]+$f|$f[[:space:]]*\(\))" lib/common.sh ||
    fail "lib/common.sh does not define $f"
  for s in bin/backup.sh bin/restore.sh; do
    if grep -Eq "^[[:space:]]*(function[[:space:]]+$f|$f[[:space:]]*\(\))" "$s"; then
      fail "$s still defines $f"
    fi
  done
done
for s in bin/backup.sh bin/restore.sh; do
  grep -Eq '(source|\.)[[:space:]].*common\.sh' "$s" || fail "$s does not source lib/common.sh"
done

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/src/sub" "$d/dest" "$d/out"
echo hello > "$d/src/sub/a.txt"
cd "$d" || fail "cd"
err=$(bash "$root/bin/backup.sh" "$d/src" "$d/dest" 2>&1 >/dev/null) || fail "backup failed from another directory: $err"
[[ $err == "backup.sh: wrote $d/dest/backup.tar.gz" ]] || fail "backup printed: $err"
err=$(bash "$root/bin/restore.sh" "$d/dest/backup.tar.gz" "$d/out" 2>&1 >/dev/null) || fail "restore failed: $err"
[[ $err == "restore.sh: restored $d/dest/backup.tar.gz into $d/out" ]] || fail "restore printed: $err"
[[ $(cat "$d/out/sub/a.txt") == hello ]] || fail "restore did not unpack"

err=$(bash "$root/bin/backup.sh" "$d/nope" "$d/dest" 2>&1); rc=$?
((rc == 1)) || fail "backup of a missing dir exited $rc"
[[ $err == "backup.sh: error: not a directory: $d/nope" ]] || fail "backup error printed: $err"
err=$(bash "$root/bin/restore.sh" "$d/none.tar.gz" "$d/out" 2>&1); rc=$?
((rc == 1)) || fail "restore of a missing archive exited $rc"
[[ $err == "restore.sh: error: no such archive: $d/none.tar.gz" ]] || fail "restore error printed: $err"
err=$(bash "$root/bin/restore.sh" 2>&1); rc=$?
((rc == 1)) && [[ $err == "restore.sh: error: usage: restore.sh ARCHIVE DEST_DIR" ]] || fail "usage error: $rc $err"
echo ok
