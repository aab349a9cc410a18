#!/usr/bin/env bash
# Builds the static site: wraps every pages/*.txt file in the HTML template
# and writes OUT_DIR/NAME.html. OUT_DIR is optional and defaults to "public".
# Prints the number of pages written.
set -euo pipefail
cd "$(dirname "$0")"

out=$OUT_DIR
mkdir -p "$out"

n=0
for page in pages/*.txt; do
  name=$(basename "$page" .txt)
  title=$(head -n 1 "$page")
  {
    echo "<html><head><title>$title</title></head><body>"
    tail -n +2 "$page"
    echo "</body></html>"
  } > "$out/$name.html"
  n=$((n + 1))
done
echo "built $n pages into $out"
