#!/usr/bin/env bash
# Usage: backup_notes.sh SRC_DIR DEST_DIR
# Copies every *.md file directly inside SRC_DIR into DEST_DIR, adding the
# suffix .bak (notes.md -> notes.md.bak), and prints how many were copied.
set -euo pipefail

src=$1
dest=$2
mkdir -p $dest

count=0
for f in $(ls $src/*.md); do
  name=$(basename $f)
  cp $f $dest/$name.bak
  count=$((count + 1))
done
echo "backed up $count notes"
