#!/usr/bin/env bash
# Usage: rotate.sh LOGFILE KEEP
# Rotates LOGFILE, keeping KEEP old copies: LOGFILE.1 is the most recent,
# LOGFILE.KEEP the oldest. Each run shifts LOGFILE.i to LOGFILE.(i+1) (the
# copy that would become LOGFILE.(KEEP+1) is deleted), moves LOGFILE to
# LOGFILE.1 and creates a new, empty LOGFILE.
set -euo pipefail

log=$1
keep=$2

for ((i = 1; i < keep; i++)); do
  if [[ -f $log.$i ]]; then
    mv "$log.$i" "$log.$((i + 1))"
  fi
done
mv "$log" "$log.1"
touch "$log"
