#!/usr/bin/env bash
# Keys never leak: with fake keys in the environment, run successes, failures (every fault
# class) and --verbose traces against the fake provider, then grep stdout, stderr, the run log
# (database, WAL and all) and the registry (work tree and the whole git history) for any key.
# usage: run_secrets.sh ROSETTA FAKE_PROVIDER
set -euo pipefail
R=$1
FAKE=$2
T=$(mktemp -d /tmp/rs_run_secrets.XXXXXX)
FPID=
cleanup() {
  if [ -n "$FPID" ]; then kill "$FPID" 2>/dev/null || true; wait "$FPID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

K_OPENAI=sk-proj-LEAKCHECK-openai-7f3a9c1e5b
K_ANTHROPIC=sk-ant-LEAKCHECK-anthropic-2d8e4f6a0c
K_GEMINI=AIzaLEAKCHECK-gemini-9b1d3f5h7j
export OPENAI_API_KEY=$K_OPENAI ANTHROPIC_API_KEY=$K_ANTHROPIC GEMINI_API_KEY=$K_GEMINI

"$FAKE" --port-file "$T/port" --lifetime 120 >/dev/null &
FPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
P=$(cat "$T/port")
export OPENAI_BASE_URL=http://127.0.0.1:$P/v1 ANTHROPIC_BASE_URL=http://127.0.0.1:$P
export GEMINI_BASE_URL=http://127.0.0.1:$P/v1beta
script() { curl -s -X POST --data-binary "$1" "http://127.0.0.1:$P/_fake/script" >/dev/null; }

cd "$T"
"$R" init reg >/dev/null
cd reg
cat > prompts/hello.prompt <<'EOF'
---
input:
  schema: {name: string}
---
{{role "system"}}Be terse.
{{role "user"}}Say hello to {{name}}.
EOF
"$R" save -m "hello" >/dev/null

n=0
runit() { # runit SCRIPT ARGS... : one run, its stdout and stderr kept
  n=$((n + 1))
  [ -n "$1" ] && script "$1"
  shift
  "$R" run hello --var name=Ada --seed 1 --attempts 2 "$@" >"$T/out.$n" 2>"$T/err.$n" || true
}
for t in openai/gpt-4o-mini anthropic/claude-sonnet-4-5 gemini/gemini-2.5-flash; do
  runit "" --target "$t"
  runit "" --target "$t" --verbose
  runit "" --target "$t" --verbose --stream
  runit "" --target "$t" --json
  runit $'status:401\nstatus:401' --target "$t" --verbose
  runit $'status:429,retry-after:0\nstatus:500' --target "$t" --verbose
  runit $'malformed\nmalformed' --target "$t" --verbose
  runit $'error-event\nerror-event' --target "$t" --verbose --stream
done
# the trace did run: it shows the header names with redacted values
grep -qi "authorization: \[REDACTED\]\|x-api-key: \[REDACTED\]\|x-goog-api-key: \[REDACTED\]" "$T"/err.* \
  || fail "no redacted auth header in the --verbose traces"
[ "$(cat "$T"/out.* | grep -c "Hello from the fake")" -ge 6 ] || fail "the successful runs did not answer"

leaks=0
for k in "$K_OPENAI" "$K_ANTHROPIC" "$K_GEMINI" LEAKCHECK; do
  if grep -rl -- "$k" "$T" --exclude-dir=.git 2>/dev/null; then leaks=1; fi
  if git log --all -p 2>/dev/null | grep -q -- "$k"; then echo "in git history: $k"; leaks=1; fi
  if sqlite3 .rosetta/runs.db .dump | grep -q -- "$k"; then echo "in the run log: $k"; leaks=1; fi
done
[ "$leaks" = 0 ] || fail "a key leaked (files listed above)"
echo "run_secrets: ok ($n runs, no key in stdout, stderr, the run log or the registry)"
