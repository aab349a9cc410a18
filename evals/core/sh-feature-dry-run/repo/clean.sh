#!/usr/bin/env bash
# Usage: clean.sh DIR
# Deletes build leftovers (*.o, *.tmp and *~ files) under DIR, printing
# "removed PATH" for each file.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: clean.sh DIR" >&2
  exit 2
fi
dir=$1

find "$dir" -type f \( -name '*.o' -o -name '*.tmp' -o -name '*~' \) -print0 |
  sort -z |
  while IFS= read -r -d '' file; do
    rm -f -- "$file"
    echo "removed $file"
  done
