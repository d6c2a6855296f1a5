#!/usr/bin/env bash
# bench/compare: `rosetta compare` against promptfoo (npm promptfoo@0.121.20, the last release for
# Node 20) on the same work: 200 cases x 2 prompt versions = 400 calls to the same fake
# OpenAI-compatible server (tests/fakes/fake_provider.c on 127.0.0.1), the same concurrency, the
# same assertion (the answer contains "Hello"), no cache on either side.
#   scenario 1: the server answers in 50 ms, concurrency 4   ideal = 400 x 50 ms / 4 = 5.0 s
#   scenario 2: the server answers at once, concurrency 64   (throughput: calls/s)
# Both wall times are of the whole command (process start to exit), as a user runs it.
# Builds an optimised, sanitizer-free tree in build-bench-compare/; installs promptfoo into
# ~/.cache/rosetta-bench/ on first use (set PROMPTFOO_HOME to use another). Telemetry and update
# checks of promptfoo are disabled; every request goes to 127.0.0.1.
#   bench/compare.sh [ROUNDS]     (default 3; the median round is reported)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-3}"
build="${RS_BENCH_BUILD:-$root/build-bench-compare}"
pf_home="${PROMPTFOO_HOME:-$HOME/.cache/rosetta-bench/promptfoo-0.121.20}"
cases=200

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRS_SANITIZE=OFF -DRS_TESTS=ON \
  -DRS_WERROR=OFF -DRS_BENCH=ON >/dev/null
cmake --build "$build" --target rosetta fake_provider bench_compare -j2 >"$build/bench-compare-build.log" 2>&1 ||
  { echo "build failed: see $build/bench-compare-build.log" >&2; exit 1; }
R="$build/cli/rosetta"
FAKE="$build/tests/fake_provider"
[ -x "$FAKE" ] || FAKE="$build/bench/fake_provider"

if [ ! -x "$pf_home/node_modules/.bin/promptfoo" ]; then
  mkdir -p "$pf_home"
  (cd "$pf_home" && npm install --no-audit --no-fund --loglevel=error promptfoo@0.121.20 >/dev/null)
fi
PF="$pf_home/node_modules/.bin/promptfoo"

tmp="$(mktemp -d /tmp/rs_bench_compare.XXXXXX)"
FPID=
cleanup() {
  if [ -n "$FPID" ]; then kill "$FPID" 2>/dev/null || true; wait "$FPID" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- the same prompts and cases for both tools ---
cd "$tmp"
"$R" init reg >/dev/null
cd reg
cat > prompts/triage.prompt <<'EOF'
---
input:
  schema: {ticket: string}
---
{{role "system"}}You triage support tickets. Answer with one word.
{{role "user"}}{{ticket}}
EOF
"$R" save -m v1 >/dev/null
cat > prompts/triage.prompt <<'EOF'
---
input:
  schema: {ticket: string}
---
{{role "system"}}You triage support tickets into billing, bug, account or shipping. Answer with one word.
{{role "user"}}{{ticket}}
EOF
"$R" save -m v2 >/dev/null
: > datasets/bench.jsonl
: > "$tmp/tests.yaml"
for i in $(seq 1 $cases); do
  printf '{"id":"c%d","vars":{"ticket":"ticket number %d: my invoice is wrong"}}\n' "$i" "$i" >> datasets/bench.jsonl
  printf -- '- vars: {ticket: "ticket number %d: my invoice is wrong"}\n' "$i" >> "$tmp/tests.yaml"
done

start_fake() {
  if [ -n "$FPID" ]; then kill "$FPID" 2>/dev/null || true; wait "$FPID" 2>/dev/null || true; fi
  rm -f "$tmp/port"
  "$FAKE" --port-file "$tmp/port" --lifetime 1200 --latency "$1" >/dev/null &
  FPID=$!
  for _ in $(seq 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  P=$(cat "$tmp/port")
}

pf_config() { # latency-independent: the base URL carries the port
  cat > "$tmp/promptfooconfig.yaml" <<EOF
description: rosetta bench
prompts:
  - id: v1
    label: v1
    raw: '[{"role":"system","content":"You triage support tickets. Answer with one word."},{"role":"user","content":"{{ticket}}"}]'
  - id: v2
    label: v2
    raw: '[{"role":"system","content":"You triage support tickets into billing, bug, account or shipping. Answer with one word."},{"role":"user","content":"{{ticket}}"}]'
providers:
  - id: openai:chat:gpt-4o-mini
    config:
      apiBaseUrl: http://127.0.0.1:$P/v1
      apiKey: sk-bench-not-a-real-key
defaultTest:
  assert:
    - type: contains
      value: Hello
tests: file://$tmp/tests.yaml
EOF
}

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

export OPENAI_BASE_URL OPENAI_API_KEY=sk-bench-not-a-real-key NO_COLOR=1
export PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_CONFIG_DIR="$tmp/pfcfg"
export PROMPTFOO_DISABLE_SHARING=1 PROMPTFOO_SELF_HOSTED=1

run_rosetta() { # concurrency -> wall seconds
  local t0 t1
  t0=$(now)
  "$R" compare triage@v1@openai/gpt-4o-mini triage@v2@openai/gpt-4o-mini --dataset bench \
    --scorer contains:Hello -j "$1" --no-cache --json > "$tmp/ours.json" 2>/dev/null
  t1=$(now)
  jq -e '[.arms[].done] | add == 400' "$tmp/ours.json" >/dev/null || { echo "rosetta: not 400 calls" >&2; exit 1; }
  jq -e '[.arms[].errors] | add == 0' "$tmp/ours.json" >/dev/null || { echo "rosetta: errors" >&2; exit 1; }
  echo "$t1 - $t0" | bc -l
}

run_promptfoo() {
  local t0 t1
  t0=$(now)
  "$PF" eval -c "$tmp/promptfooconfig.yaml" --no-cache -j "$1" --no-progress-bar --no-table \
    -o "$tmp/pf.json" > "$tmp/pf.log" 2>&1 || true
  t1=$(now)
  local n
  n=$(jq '.results.results | length' "$tmp/pf.json" 2>/dev/null || echo 0)
  [ "$n" = 400 ] || { echo "promptfoo: $n results, expected 400" >&2; tail -20 "$tmp/pf.log" >&2; exit 1; }
  echo "$t1 - $t0" | bc -l
}

printf 'bench/compare: %d cases x 2 prompt versions = %d calls to the fake OpenAI server, median of %d rounds\n' \
  $cases $((2 * cases)) "$rounds"
printf '  rosetta:   %s compare (%s)\n' "$("$R" --version)" "$(basename "$build")"
printf '  promptfoo: %s (node %s)\n\n' "$("$PF" --version 2>/dev/null | tail -1)" "$(node --version)"
printf '%-28s %10s %10s %10s %12s\n' "scenario" "rosetta" "promptfoo" "ideal" "ratio"
for scen in "50 4" "0 64"; do
  set -- $scen
  lat=$1 conc=$2
  start_fake "$lat"
  OPENAI_BASE_URL=http://127.0.0.1:$P/v1
  pf_config
  ours=() theirs=()
  for _ in $(seq "$rounds"); do
    ours+=("$(run_rosetta "$conc")")
    theirs+=("$(run_promptfoo "$conc")")
  done
  o=$(printf '%s\n' "${ours[@]}" | median)
  t=$(printf '%s\n' "${theirs[@]}" | median)
  ideal=$(echo "400 * $lat / 1000 / $conc" | bc -l)
  if [ "$lat" -gt 0 ]; then
    printf '%-28s %9.2fs %9.2fs %9.2fs %s\n' "${lat} ms server, -j $conc" "$o" "$t" "$ideal" \
      "$(printf 'rosetta %.1f%% over ideal, promptfoo %.2fx ideal' "$(echo "($o / $ideal - 1) * 100" | bc -l)" "$(echo "$t / $ideal" | bc -l)")"
  else
    printf '%-28s %9.2fs %9.2fs %10s %s\n' "${lat} ms server, -j $conc" "$o" "$t" "-" \
      "$(printf 'rosetta %.0f calls/s, promptfoo %.0f calls/s: %.1fx' "$(echo "400 / $o" | bc -l)" "$(echo "400 / $t" | bc -l)" "$(echo "$t / $o" | bc -l)")"
  fi
done
# For reading the figures: promptfoo's start-up alone, and the machine's load.
t0=$(now); "$PF" --version >/dev/null 2>&1; t1=$(now)
printf 'promptfoo start-up alone (promptfoo --version): %.2fs; load average: %s\n' \
  "$(echo "$t1 - $t0" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
# The engine alone (in-process, no process start): CPU and memory per call.
start_fake 0
OPENAI_BASE_URL=http://127.0.0.1:$P/v1
"$build/bench/bench_compare" --dataset bench --concurrency 64 \
  triage@v1@openai/gpt-4o-mini triage@v2@openai/gpt-4o-mini
