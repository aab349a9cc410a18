#!/usr/bin/env bash
# Usage: backup.sh SRC_DIR DEST_DIR
# Packs SRC_DIR into DEST_DIR/backup.tar.gz.
set -euo pipefail

log() { echo "$(basename "$0"): $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
require_dir() { [[ -d $1 ]] || die "not a directory: $1"; }

(($# == 2)) || die "usage: backup.sh SRC_DIR DEST_DIR"
require_dir "$1"
require_dir "$2"
tar -C "$1" -czf "$2/backup.tar.gz" .
log "wrote $2/backup.tar.gz"
