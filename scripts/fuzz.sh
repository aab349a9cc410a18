#!/usr/bin/env bash
# Runs kiln's cargo-fuzz targets (fuzz/fuzz_targets/) one after another.
#
# Usage: scripts/fuzz.sh [target|all] [seconds]
#   target   toolcall_parsers, stream_assembler, edit_apply, retry_after or
#            all (default)
#   seconds  how long each target runs (default 600)
# Installs cargo-fuzz when it is missing. cargo fuzz needs nightly flags;
# on a stable toolchain RUSTC_BOOTSTRAP=1 allows them. Targets are built
# without a sanitizer (kiln is safe Rust, and it doubles the speed) but
# with debug assertions and overflow checks. Corpora grow under
# fuzz/corpus/<target> (seeded from fuzz/seeds/<target>), crashes land in
# fuzz/artifacts/<target>; each run's log goes to fuzz/logs/<target>.log.
# Never in CI: CI runs the regression tests the findings became.
# Extra libFuzzer flags: FUZZ_ARGS (e.g. FUZZ_ARGS="-jobs=2").
set -euo pipefail

cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1

targets=(toolcall_parsers stream_assembler edit_apply retry_after)
which="${1:-all}"
seconds="${2:-600}"
if [[ "$which" != all ]]; then
    if [[ ! " ${targets[*]} " == *" $which "* ]]; then
        echo "unknown target \`$which\` (expected one of: ${targets[*]}, all)" >&2
        exit 2
    fi
    targets=("$which")
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -eq 0 ]]; then
    echo "seconds must be a positive whole number, got \`$seconds\`" >&2
    exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

mkdir -p logs
status=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    seeds=()
    [[ -d "seeds/$t" ]] && seeds=("seeds/$t")
    echo "== $t: ${seconds}s" >&2
    # One fuzzer at a time: -max_total_time bounds each run.
    rc=0
    # shellcheck disable=SC2086
    cargo fuzz run --sanitizer none "$t" "corpus/$t" "${seeds[@]}" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
        ${FUZZ_ARGS:-} >"logs/$t.log" 2>&1 || rc=$?
    grep -E '^#[0-9]+ +(DONE|pulse)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^SUMMARY|panicked' \
        "logs/$t.log" | tail -n 6 || true
    if [[ "$rc" -ne 0 ]]; then
        echo "$t: failed (exit $rc); see fuzz/logs/$t.log and fuzz/artifacts/$t/" >&2
        status=1
    fi
done
exit "$status"
