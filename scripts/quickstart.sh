#!/usr/bin/env bash
# The quick start: installs what a fresh machine lacks, builds kiln, fetches
# the default model (first run only) and runs kiln fully local on a real
# task — a failing test in examples/quickstart that a one-line fix makes
# pass — then shows the diff and the check's result.
#
# Options via environment: KILN_MODEL (a known model name or a GGUF path;
# default: kiln's default model), KILN_QUICKSTART_DIR (where to copy the
# example; default: a new temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

"$root/scripts/install-deps.sh"

echo "== building kiln (the first build compiles llama.cpp: a few minutes)"
cargo build --quiet

work=${KILN_QUICKSTART_DIR:-$(mktemp -d)}
cp -r "$root/examples/quickstart/." "$work/"
cd "$work"
git init -q && git add -A && git -c user.name=kiln -c user.email=kiln@localhost commit -qm "quick-start example"

echo "== the check fails before kiln runs:"
python3 -m unittest -q 2>&1 | tail -3 || true

model_args=()
[[ -n ${KILN_MODEL:-} ]] && model_args=(--model "$KILN_MODEL")
echo "== kiln exec (local engine) in $work"
set +e
"$root/target/debug/kiln" exec --approval full --provider local "${model_args[@]}" --max-turns 12 \
  "The test suite fails: run \`python3 -m unittest\` to see it. Fix the bug in calc.py so that all tests pass, then run the tests again to confirm."
status=$?
set -e

echo "== what kiln changed:"
git --no-pager diff --stat
git --no-pager diff
echo "== the check after kiln:"
if python3 -m unittest -q 2>&1 | tail -3; then
  echo "quick start: tests pass (kiln exit code $status)"
else
  echo "quick start: tests still fail (kiln exit code $status)"
  exit 1
fi
