#!/usr/bin/env bash
# Prints the tag name for the next release, read from the VERSION file.
set -euo pipefail
cd "$(dirname "$0")"
version=$(tr -d '[:space:]' < VERSION)
echo "v$version"
