#!/usr/bin/env bash
# Rosetta's main job end to end, on built-in defaults: no API key, the offline `mock` provider.
#   1. render the bundled example prompt (examples/prompts) to Dotprompt's neutral JSON
#   2. create a registry from examples/, save two versions, label v1 `production`, render it
#   3. print the same prompt's request body for openai, anthropic and gemini side by side
#   4. run it through mock/echo (logged in SQLite) and show `rosetta stats`
#   5. compare the two versions on the bundled dataset through mock, print the table and write
#      an HTML report
# Everything it makes goes to $DEMO_DIR (default: a new temporary directory), kept afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRS_TESTS=OFF -DRS_BENCH=OFF -DRS_WERROR=OFF >/dev/null
cmake --build build -j "$jobs" --target rosetta >/dev/null
rosetta=$root/build/cli/rosetta
demo=${DEMO_DIR:-$(mktemp -d /tmp/rosetta-demo.XXXXXX)}
mkdir -p "$demo"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. render examples/prompts/triage.prompt (Dotprompt JSON)"
printf '{"input": {"ticket": "I was charged twice this month", "tier": "pro"}}\n' > "$demo/data.json"
"$rosetta" render --source examples/prompts/triage.prompt --partials examples/prompts \
  --data "$demo/data.json"

step "2. a registry in $demo/registry: two versions, v1 labelled production"
reg=$demo/registry
rm -rf "$reg"
"$rosetta" init "$reg"
cp examples/prompts/*.prompt "$reg/prompts/"
cp examples/datasets/*.jsonl "$reg/datasets/"
cd "$reg"
"$rosetta" save -m "triage: first version"
# v2 also shows the area hint the dataset carries: the compare below should find it better.
sed -i 's/^{{role "user"}}{{ticket}}$/{{role "user"}}{{ticket}}{{#if area}} (area: {{area}}){{\/if}}/' \
  prompts/triage.prompt
"$rosetta" save -m "triage: pass the area hint"
"$rosetta" label triage@v1 production
"$rosetta" log triage
"$rosetta" render triage@production --var ticket="Where is my invoice?" --explain

step "3. one prompt, three providers: request bodies side by side"
for t in openai/gpt-4o-mini anthropic/claude-3-5-haiku-latest gemini/gemini-2.0-flash; do
  "$rosetta" render triage@production --target "$t" --var ticket="Where is my invoice?" \
    --compact > "$demo/body-${t%%/*}.json"
done
python3 - "$demo" <<'PY'
import json, sys, textwrap
d = sys.argv[1]
cols = []
for p in ("openai", "anthropic", "gemini"):
    body = json.dumps(json.load(open(f"{d}/body-{p}.json")), indent=1, ensure_ascii=False)
    lines = []
    for l in body.splitlines():
        lines += textwrap.wrap(l, 38, subsequent_indent="  ") or [""]
    cols.append([p.upper(), "-" * 38] + lines)
for row in range(max(map(len, cols))):
    print(" | ".join((c[row] if row < len(c) else "").ljust(38) for c in cols))
PY

step "4. run through the offline mock provider, then stats"
"$rosetta" run triage@production --target mock/echo --var ticket="Where is my invoice?"
"$rosetta" run triage --target mock/upper --var ticket="The app crashes on start"
"$rosetta" stats triage --by version,provider,model

step "5. compare v1 and v2 on datasets/support-tickets.jsonl through mock/echo"
"$rosetta" compare triage@v1@mock/echo triage@v2@mock/echo \
  --dataset support-tickets --scorer icontains --html "$demo/report.html"
echo
echo "HTML report: $demo/report.html"
echo "registry:    $reg   (plain git works: git -C $reg log --oneline)"
