#!/usr/bin/env bash
# The HTML report renders in a real browser: a compare through the offline mock writes the page,
# headless Chromium takes a screenshot, and the screenshot must be a real, non-trivial image.
# Also: the page references nothing outside itself (no network), and model output is escaped.
# Installs Debian's chromium when missing (root + apt); skips (77) when that is impossible.
# usage: compare_html.sh ROSETTA SOURCE_DIR [OUT.png]
set -euo pipefail
R=$1
SRC=$2
OUT=${3:-}
T=$(mktemp -d /tmp/rs_compare_html.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1; } || true
  fi
  command -v chromium >/dev/null 2>&1 || { echo "SKIP: chromium is not installed"; exit 77; }
fi

cd "$T"
"$R" init reg >/dev/null
cd reg
mkdir -p prompts/support
cp "$SRC/tests/compare/triage.v1.prompt" prompts/support/triage.prompt
"$R" save -m v1 >/dev/null
cp "$SRC/tests/compare/triage.v2.prompt" prompts/support/triage.prompt
"$R" save -m v2 >/dev/null
cp "$SRC/examples/datasets/support-tickets.jsonl" datasets/
# one case whose answer is markup: the page must show it, not run it
printf '{"id":"xss","vars":{"ticket":"<script>document.title=\\"pwned\\"</script><img src=x onerror=alert(1)>","area":"bug"},"expected":"bug"}\n' >> datasets/support-tickets.jsonl
"$R" compare support/triage@v1@mock/echo support/triage@v2@mock/echo --dataset support-tickets \
  --scorer icontains --scorer "similarity:f1>=0.3" --html "$T/report.html" > /dev/null 2>&1
[ -s "$T/report.html" ] || fail "no HTML written"
grep -q "<svg" "$T/report.html" || fail "no inline SVG chart"
if grep -Eiq "(src|href)=['\"]?(https?:)?//" "$T/report.html"; then fail "the page references the network"; fi
if grep -q "<script" "$T/report.html"; then fail "model output not escaped"; fi
grep -q "&lt;script&gt;document.title" "$T/report.html" || fail "escaped output missing"

PNG="$T/report.png"
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$(mktemp -d "$T/profile.XXXXXX")" --window-size=1400,1800 \
  --screenshot="$PNG" "file://$T/report.html" >/dev/null 2>&1 || true
[ -s "$PNG" ] || fail "chromium wrote no screenshot"
[ "$(head -c 8 "$PNG" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "not a PNG"
size=$(stat -c %s "$PNG")
# a blank 1400x1800 page compresses to a few KB; tables, charts and text take far more
[ "$size" -gt 60000 ] || fail "screenshot too small to be the report ($size bytes)"
# the title did not change: no script ran
title=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$(mktemp -d "$T/profile.XXXXXX")" --dump-dom "file://$T/report.html" 2>/dev/null |
  grep -o "<title>[^<]*</title>" | head -1)
case "$title" in *pwned*|"") fail "page title: [$title]";; esac
[ -z "$OUT" ] || cp "$PNG" "$OUT"
echo "ok ($size bytes)"
