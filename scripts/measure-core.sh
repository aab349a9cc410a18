#!/usr/bin/env bash
# Measures kiln's core figures on this machine: startup time, release binary
# size and the peak RSS of a 30-turn scripted session. Prints numbers only;
# nothing here asserts on time.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/kiln
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$bin" "$work" <<'PY'
import json, os, resource, statistics, subprocess, sys, time

binary, work = sys.argv[1], sys.argv[2]

def median_ms(args, n=5):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)

subprocess.run([binary, "--version"], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
print(f"startup `kiln --version`:   {median_ms([binary, '--version']):.2f} ms (median of 5)")
print(f"startup `kiln exec --help`: {median_ms([binary, 'exec', '--help']):.2f} ms (median of 5)")
print(f"release binary size:        {os.path.getsize(binary) / 1e6:.2f} MB")

# A 30-turn scripted session touching every tool.
repo = os.path.join(work, "repo")
os.makedirs(os.path.join(repo, "src"))
for i in range(50):
    with open(os.path.join(repo, "src", f"m{i}.py"), "w") as f:
        f.write("".join(f"def f{j}(x):\n    return x + {j}\n" for j in range(200)))
calls = [
    {"name": "list_files", "arguments": {"pattern": "**/*.py"}},
    {"name": "grep", "arguments": {"pattern": "return x \\+ 1\\d\\b", "context": 1}},
    {"name": "read_file", "arguments": {"path": "src/m1.py"}},
    {"name": "shell", "arguments": {"command": "seq 1 20000"}},
    {"name": "edit_file", "arguments": {"path": "src/m2.py", "old_string": "return x + 7\n", "new_string": "return x + 70\n"}},
]
turns = []
for t in range(29):
    call = dict(calls[t % len(calls)])
    if call["name"] == "edit_file":
        n = t
        call = {"name": "write_file", "arguments": {"path": f"out/t{n}.txt", "content": "x\n" * 1000}}
    turns.append({"text": f"step {t}", "tool_calls": [call]})
turns.append({"text": "done"})
script = os.path.join(work, "script.json")
with open(script, "w") as f:
    json.dump({"turns": turns}, f)
env = dict(os.environ, HOME=work, XDG_CONFIG_HOME=os.path.join(work, "cfg"))
t = time.perf_counter()
p = subprocess.run([binary, "exec", "--json", "--provider", "scripted", "--model", script,
                    "--cwd", repo, "--max-turns", "40", "30-turn session"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
wall = time.perf_counter() - t
assert p.returncode == 0, p.stderr.decode()
events = [json.loads(l) for l in p.stdout.decode().splitlines()]
done = events[-1]
rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"30-turn scripted session:   {done['stats']['turns']} turns, {done['stats']['tool_calls']} tool calls, "
      f"{len(events)} events, {wall:.2f} s wall; peak RSS (largest child) {rss_kb / 1024:.1f} MiB")
PY
