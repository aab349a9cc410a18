#!/usr/bin/env bash
set -u
fail() { echo "FAIL: $*"; exit 1; }
rm -rf public
out=$(env -u OUT_DIR bash build_site.sh 2>&1) || fail "without OUT_DIR: $out"
[[ $out == "built 2 pages into public" ]] || fail "printed: $out"
[[ -f public/index.html && -f public/about.html ]] || fail "public/*.html missing"
grep -q '<title>Home</title>' public/index.html || fail "index.html has no title"
grep -q 'We make small tools.' public/about.html || fail "about.html has no body"
rm -rf public

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
out=$(OUT_DIR="$d/site" bash build_site.sh 2>&1) || fail "with OUT_DIR: $out"
[[ -f $d/site/index.html ]] || fail "OUT_DIR is ignored"
[[ ! -e public ]] || fail "public/ written although OUT_DIR was set"
echo ok
