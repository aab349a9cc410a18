#!/usr/bin/env bash
# Installs what building kiln needs on a fresh Debian/Ubuntu machine:
# llama.cpp builds from source through llama-cpp-2 (cmake, a C++ compiler,
# libclang for bindgen), and the tests need python3, procps and tmux; the
# eval suites' checks run pytest. Does nothing when everything is present.
set -euo pipefail
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v clang >/dev/null || missing+=(clang)
command -v git >/dev/null || missing+=(git)
command -v python3 >/dev/null || missing+=(python3)
command -v pgrep >/dev/null || missing+=(procps)
# The TUI's end-to-end test drives kiln inside tmux.
command -v tmux >/dev/null || missing+=(tmux)
ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 || missing+=(libclang-dev)
if ((${#missing[@]})); then
  echo "== installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The Python tasks of evals/core check with `python3 -m pytest`: install it
# for the python3 on PATH (pip, as that may not be the system Python; apt's
# python3-pytest where pip is missing).
if ! python3 -c 'import pytest' 2>/dev/null; then
  echo "== installing pytest"
  python3 -m pip install -q pytest 2>/dev/null ||
    DEBIAN_FRONTEND=noninteractive $( [[ $(id -u) -ne 0 ]] && echo sudo ) apt-get install -y -qq python3-pytest >/dev/null
  python3 -c 'import pytest'
fi
