#!/usr/bin/env bash
# kiln's repo map against Aider's on the same tree, in one run: time cold
# (empty cache) and warm, and peak RSS, at the same token budget.
#
# Usage: scripts/repomap-vs-aider.sh [TREE]
#   TREE defaults to the bench's tree (the first 5,000 source files of
#   ~/.cargo/registry/src, built by `benches/repomap.rs` on first use).
# Env: AIDER (default /tmp/aider-venv/bin/aider; install it with
#   `python3 -m venv /tmp/aider-venv && /tmp/aider-venv/bin/pip install aider-chat`),
#   TOKENS (map budget, default 1024), WARM_RUNS (default 5), WORK (scratch
#   dir for Aider's git copy of the tree, default /tmp/aider-bench).
#
# kiln: `cargo bench --bench repomap` at opt-level 3 (its own report: cold,
# warm median, phases, VmHWM). Aider: `aider --show-repo-map` in a git copy
# of the tree (it maps only files git tracks), no network (fake key, no
# update check, no analytics, local model-cost map), `--map-tokens TOKENS
# --map-multiplier-no-files 1` so both fill the same budget. Aider's cold
# run starts with its `.aider.tags.cache.v*` removed. Its start-up (Python
# imports) is measured apart with `--map-tokens 0` so the map's own time
# can be told from it.
set -euo pipefail

cd "$(dirname "$0")/.."
tokens="${TOKENS:-1024}"
warm_runs="${WARM_RUNS:-5}"
aider="${AIDER:-/tmp/aider-venv/bin/aider}"
work="${WORK:-/tmp/aider-bench}"
tree="${1:-${TMPDIR:-/tmp}/kiln-repomap-bench-5k}"

echo "== kiln (budget $tokens tokens)"
CARGO_PROFILE_DEV_OPT_LEVEL=3 KILN_BENCH_TOKENS="$tokens" KILN_BENCH_WARM_RUNS="$warm_runs" \
    cargo bench --profile dev --bench repomap -- ${1:+"$tree"} 2>&1 | grep -v '^ *\(Compiling\|Finished\|Running\)'

if [[ ! -x "$aider" ]]; then
    echo "== aider: not found at $aider (install: python3 -m venv /tmp/aider-venv && /tmp/aider-venv/bin/pip install aider-chat)"
    exit 0
fi

echo "== aider $("$aider" --version 2>/dev/null | tail -1) (budget $tokens tokens)"
rm -rf "$work"
mkdir -p "$work"
cp -r "$tree/." "$work/"
rm -f "$work/.complete"
git -C "$work" init -q
git -C "$work" add -A
git -C "$work" -c user.name=bench -c user.email=bench@localhost commit -qm tree
echo "tree: $work ($(git -C "$work" ls-files | wc -l) files tracked)"

export OPENAI_API_KEY=sk-fake-key-for-offline-bench
export LITELLM_LOCAL_MODEL_COST_MAP=True
run_aider() { # $1: map tokens; prints "seconds peak_kb"
    local log
    log="$(mktemp)"
    (cd "$work" && /usr/bin/time -v "$aider" --model gpt-4o --no-check-update \
        --no-show-model-warnings --analytics-disable --no-gitignore --no-pretty \
        --no-fancy-input --yes-always --map-tokens "$1" --map-multiplier-no-files 1 \
        --show-repo-map >"$work.map" 2>"$log") || { cat "$log" >&2; rm -f "$log"; return 1; }
    local wall rss
    wall="$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')"
    rss="$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')"
    rm -f "$log"
    # m:ss.ss → seconds
    awk -v t="$wall" -v r="$rss" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f %d\n", s, r }'
}

read -r start_s start_kb < <(run_aider 0)
echo "start-up alone (--map-tokens 0): ${start_s} s, peak RSS ${start_kb} kB"
rm -rf "$work"/.aider.tags.cache.v*
read -r cold_s cold_kb < <(run_aider "$tokens")
echo "cold: ${cold_s} s wall (map ≈ $(awk -v a="$cold_s" -v b="$start_s" 'BEGIN{printf "%.2f", a-b}') s after start-up), peak RSS ${cold_kb} kB"
echo "map: $(wc -c <"$work.map") bytes, $(wc -l <"$work.map") lines"
warm=()
for _ in $(seq "$warm_runs"); do
    read -r s kb < <(run_aider "$tokens")
    warm+=("$s")
    warm_kb="$kb"
done
median="$(printf '%s\n' "${warm[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
echo "warm: median ${median} s wall over ${warm_runs} runs (map ≈ $(awk -v a="$median" -v b="$start_s" 'BEGIN{printf "%.2f", a-b}') s after start-up; all: ${warm[*]}), peak RSS ${warm_kb} kB"
echo "cache: $(du -sh "$work"/.aider.tags.cache.v* 2>/dev/null | awk '{print $1}')"
