#!/usr/bin/env bash
# Usage: restore.sh ARCHIVE DEST_DIR
# Unpacks ARCHIVE (made by backup.sh) into DEST_DIR.
set -euo pipefail

log() { echo "$(basename "$0"): $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
require_dir() { [[ -d $1 ]] || die "not a directory: $1"; }

(($# == 2)) || die "usage: restore.sh ARCHIVE DEST_DIR"
[[ -f $1 ]] || die "no such archive: $1"
require_dir "$2"
tar -C "$2" -xzf "$1"
log "restored $1 into $2"
