#!/usr/bin/env bash
set -u
fail() { echo "FAIL: $*"; exit 1; }
out=$(bash check_links.sh 2>&1); rc=$?
expected="docs/install.md: missing faq.md
1 broken links"
[[ $out == "$expected" ]] || fail "on docs/ got:
$out"
((rc == 1)) || fail "on docs/ exit status $rc, expected 1"

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/a/b"
printf '[x](b/ok.md) [y](nope.md) [z](b/gone.md#top)\n' > "$d/a/one.md"
printf '# ok\n[up](../one.md) [web](http://x.org) [self](#ok)\n' > "$d/a/b/ok.md"
printf '[bad](../../zzz.md)\n' > "$d/a/b/two.md"
out=$(bash check_links.sh "$d/a" 2>&1); rc=$?
expected="$d/a/b/two.md: missing ../../zzz.md
$d/a/one.md: missing nope.md
$d/a/one.md: missing b/gone.md
3 broken links"
[[ $out == "$expected" ]] || fail "on a second tree got:
$out
expected:
$expected"
((rc == 1)) || fail "exit status $rc, expected 1"

rm "$d/a/b/two.md"
printf '[x](b/ok.md) [y](b/ok.md#ok)\n' > "$d/a/one.md"
out=$(bash check_links.sh "$d/a" 2>&1); rc=$?
[[ $out == "0 broken links" ]] || fail "on a clean tree got: $out"
((rc == 0)) || fail "on a clean tree exit status $rc, expected 0"
echo ok
