#!/usr/bin/env bash
# Usage: count_lines.sh FILE...
# Prints "NAME: N" for each file, N being its number of lines, then a total.
set -euo pipefail
total=0
for f in "$@"; do
  n=$(wc -w < "$f")
  echo "$f: $n"
  total=$((total + n))
done
echo "total: $total"
