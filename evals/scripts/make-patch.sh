#!/usr/bin/env bash
# Writes TASK_DIR/solution.patch: the git diff that turns TASK_DIR/repo into
# repo/ with FIXED_DIR's files copied over it (FIXED_DIR mirrors repo/; list
# paths to delete, one a line, in FIXED_DIR/.delete). Authoring helper for
# eval tasks, so a reference fix is always a real `git diff`.
set -euo pipefail
if (($# != 2)); then
  echo "usage: $0 TASK_DIR FIXED_DIR" >&2
  exit 2
fi
task=$(cd "$1" && pwd)
fixed=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -a "$task/repo/." "$tmp/"
rm -rf "$tmp/target"
cd "$tmp"
git init -q
git add -A
git -c user.name=kiln -c user.email=kiln@localhost commit -q -m baseline
cp -a "$fixed/." "$tmp/"
if [[ -f .delete ]]; then
  while IFS= read -r p; do [[ -n $p ]] && rm -rf -- "$p"; done <.delete
  rm -f .delete
fi
git add -A
git diff --cached >"$task/solution.patch"
[[ -s $task/solution.patch ]] || { echo "$task: empty diff" >&2; exit 1; }
