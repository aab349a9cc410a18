#!/usr/bin/env bash
# Installs what building kiln needs on a fresh Debian/Ubuntu machine:
# llama.cpp builds from source through llama-cpp-2 (cmake, a C++ compiler,
# libclang for bindgen), and the tests need python3, procps and tmux. Does
# nothing when everything is present.
set -euo pipefail
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v clang >/dev/null || missing+=(clang)
command -v git >/dev/null || missing+=(git)
command -v python3 >/dev/null || missing+=(python3)
command -v pgrep >/dev/null || missing+=(procps)
# The eval suites' Python checks (`kiln eval validate` in CI) use pytest.
python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
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
