#!/usr/bin/env bash
# Checks every task of an eval suite (default evals/core): on a temp copy of
# repo/ with check/ copied over, the check must FAIL (non-zero, but not 124
# timeout or 126/127 cannot-run); on a fresh copy with solution.patch applied
# and check/ copied over, it must PASS. Prints the time of each run and a
# total; exits 1 if any task misbehaves. Usage: verify.sh [SUITE_DIR [TASK_ID...]]
# (naming tasks checks only those). Needs bash, git, python3 (+pytest),
# cargo, timeout.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
suite=$(cd "${1:-$here/../core}" && pwd)
shift $(($# > 0 ? 1 : 0))
only=("$@")
# Each Rust fixture builds into its own target/, as it would in a run.
unset CARGO_TARGET_DIR
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# `key = "value"` from the [check] table of task.toml; commands must not use
# escapes or double quotes, so that this stays a plain read.
check_field() {
  awk -v key="$2" '
    /^\[/ { in_check = ($0 == "[check]") ; next }
    in_check && $1 == key {
      sub(/^[^=]*=[ \t]*/, ""); gsub(/^"|"$/, ""); print; exit
    }' "$1"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Runs the check of $1 in $2; echoes "rc secs".
run_check() {
  local task=$1 dir=$2 cmd timeout start rc
  cmd=$(check_field "$task/task.toml" command)
  timeout=$(check_field "$task/task.toml" timeout_secs)
  cp -a "$task/check/." "$dir/"
  start=$(now)
  (cd "$dir" && timeout "${timeout:-30}" bash -c "$cmd") >"$dir.log" 2>&1 </dev/null
  rc=$?
  echo "$rc $(elapsed "$start" "$(now)")"
}

bad=0
count=0
slowest=0
slowest_id=""
total_start=$(now)
printf '%-34s %-6s %7s %-6s %7s %s\n' task before secs after secs verdict
for task in "$suite"/*/; do
  task=${task%/}
  id=$(basename "$task")
  [[ -f $task/task.toml ]] || continue
  if ((${#only[@]})) && [[ " ${only[*]} " != *" $id "* ]]; then
    continue
  fi
  count=$((count + 1))
  verdict=ok
  if grep -q '\\' <(check_field "$task/task.toml" command); then
    verdict="command uses a backslash"
  fi
  if ! grep -qx "id = \"$id\"" "$task/task.toml"; then
    verdict="task.toml's id is not \"$id\""
  fi
  for needed in prompt.md solution.patch repo check; do
    [[ -e $task/$needed ]] || verdict="no $needed"
  done

  before="$work/$id-before"
  cp -a "$task/repo" "$before"
  rm -rf "$before/target"
  read -r rc1 t1 < <(run_check "$task" "$before")
  if [[ $verdict != ok ]]; then
    : # keep the first problem
  elif ((rc1 == 0)); then
    verdict="check passes on the untouched fixture"
  elif ((rc1 == 124 || rc1 == 126 || rc1 == 127)); then
    verdict="check cannot run on the untouched fixture (exit $rc1)"
  fi

  after="$work/$id-after"
  cp -a "$task/repo" "$after"
  rm -rf "$after/target"
  rc2=x
  t2=0
  if (cd "$after" && git apply "$task/solution.patch") >"$after.apply.log" 2>&1; then
    read -r rc2 t2 < <(run_check "$task" "$after")
    if [[ $rc2 != 0 && $verdict == ok ]]; then
      verdict="check fails with the solution (exit $rc2)"
    fi
  elif [[ $verdict == ok ]]; then
    verdict="solution.patch does not apply: $(head -1 "$after.apply.log")"
  fi

  for t in "$t1" "$t2"; do
    if awk -v t="$t" -v s="$slowest" 'BEGIN { exit !(t > s) }'; then
      slowest=$t
      slowest_id=$id
    fi
  done
  printf '%-34s %-6s %7s %-6s %7s %s\n' "$id" "$rc1" "$t1" "$rc2" "$t2" "$verdict"
  if [[ $verdict != ok ]]; then
    bad=$((bad + 1))
    if [[ -n ${VERBOSE:-} ]]; then
      echo "--- before:"; tail -20 "$before.log"
      echo "--- after:"; tail -20 "$after.log" 2>/dev/null
    fi
  fi
  rm -rf "$before" "$after"
done
echo "tasks: $count, misbehaving: $bad, slowest check: $slowest s ($slowest_id), total: $(elapsed "$total_start" "$(now)") s"
((bad == 0 && count > 0))
