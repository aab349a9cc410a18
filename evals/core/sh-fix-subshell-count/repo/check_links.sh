#!/usr/bin/env bash
# Usage: check_links.sh [DOCS_DIR]
# Checks relative links in the Markdown files under DOCS_DIR (default:
# docs): for every [text](target) whose target is not a URL or an anchor,
# the target file must exist relative to the linking file. Prints
# "FILE: missing TARGET" for each broken link, then "N broken links", and
# exits 1 if N > 0.
set -uo pipefail

docs=${1:-docs}
broken=0

find "$docs" -name '*.md' | sort | while read -r file; do
  dir=$(dirname "$file")
  grep -o '\](\([^)]*\))' "$file" | sed 's/^](//; s/)$//' | while read -r target; do
    case $target in
      http://* | https://* | mailto:* | '#'*) continue ;;
    esac
    target=${target%%#*}
    if [[ ! -e $dir/$target ]]; then
      echo "$file: missing $target"
      broken=$((broken + 1))
    fi
  done
done

echo "$broken broken links"
[[ $broken -eq 0 ]]
