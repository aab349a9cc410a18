#!/usr/bin/env bash
set -u
fail() { echo "FAIL: $*"; exit 1; }
[[ -f VERSION ]] || fail "VERSION does not exist"
content=$(cat VERSION)
[[ $content == "1.4.0" ]] || fail "VERSION holds '$content', expected '1.4.0'"
[[ $(wc -l < VERSION) -le 1 ]] || fail "VERSION has more than one line"
tag=$(bash release.sh) || fail "release.sh failed"
[[ $tag == "v1.4.0" ]] || fail "release.sh printed '$tag'"
echo "ok"
