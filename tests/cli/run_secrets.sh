#!/usr/bin/env bash
# Keys never leak: with fake keys in the environment (and one in rosetta.yaml's key_file), run
# successes, failures (every fault class) and --verbose traces against the fake provider, then
# grep stdout, stderr, the run log (database, WAL and all) and the registry (work tree and the
# whole git history) for any key.
# usage: run_secrets.sh ROSETTA FAKE_PROVIDER
set -euo pipefail
R=$1
FAKE=$2
T=$(mktemp -d /tmp/rs_run_secrets.XXXXXX)
KD=$(mktemp -d /tmp/rs_run_secrets_keys.XXXXXX) # the key_file lives outside $T, which is grepped
FPID=
cleanup() {
  if [ -n "$FPID" ]; then kill "$FPID" 2>/dev/null || true; wait "$FPID" 2>/dev/null || true; fi
  rm -rf "$T" "$KD"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

K_OPENAI=sk-proj-LEAKCHECK-openai-7f3a9c1e5b
K_ANTHROPIC=sk-ant-LEAKCHECK-anthropic-2d8e4f6a0c
K_GEMINI=AIzaLEAKCHECK-gemini-9b1d3f5h7j
K_FILE=sk-proj-LEAKCHECK-keyfile-4c6e8a0b2d # only in rosetta.yaml's key_file, never in the env
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

# --- a key from rosetta.yaml's key_file: the environment scrub cannot see it, so the runner must
# hand it to the log's scrubber. The last run even carries the key in its input (a pasted key):
# the log must hold "[REDACTED]" there, and the --verbose trace of the body must not show it.
unset OPENAI_API_KEY
printf '# keys for rosetta\nOPENAI_API_KEY=%s\n' "$K_FILE" > "$KD/keys.env"
chmod 600 "$KD/keys.env"
printf 'key_file: %s\n' "$KD/keys.env" >> rosetta.yaml
"$R" save -m "key_file" >/dev/null
keyed0=$(curl -s "http://127.0.0.1:$P/_fake/stats" | sed -n 's/.*"keyed":\([0-9]*\).*/\1/p')
runit "" --target openai/gpt-4o-mini
runit "" --target openai/gpt-4o-mini --verbose --stream
runit $'status:401\nstatus:401' --target openai/gpt-4o-mini --verbose
runit $'status:500\nstatus:500' --target openai/gpt-4o-mini --json
n=$((n + 1))
"$R" run hello --var "name=$K_FILE" --target openai/gpt-4o-mini --verbose >"$T/out.$n" 2>"$T/err.$n" \
  || fail "the run with the key in its input failed: $(cat "$T/err.$n")"
keyed1=$(curl -s "http://127.0.0.1:$P/_fake/stats" | sed -n 's/.*"keyed":\([0-9]*\).*/\1/p')
[ "$((keyed1 - keyed0))" -ge 5 ] || fail "the key_file's key was not sent ($keyed0 -> $keyed1)"
grep -q "Hello from the fake" "$T/out.$n" || fail "the key_file run did not answer"
sqlite3 .rosetta/runs.db "SELECT input FROM runs ORDER BY id DESC LIMIT 1" | grep -qF '[REDACTED]' \
  || fail "the key_file's key in a run's input was not scrubbed from the log"

# compare writes the log beside the runner: a case whose input carries the key_file's key.
printf '{"id": "c1", "vars": {"name": "%s"}, "expected": "Hello"}\n' "$K_FILE" > "$KD/cases.jsonl"
n=$((n + 1))
"$R" compare hello@openai/gpt-4o-mini --dataset "$KD/cases.jsonl" --scorer icontains --no-cache \
  >"$T/out.$n" 2>"$T/err.$n" || fail "the compare with the key in a case failed: $(cat "$T/err.$n")"
sqlite3 .rosetta/runs.db "SELECT input FROM runs WHERE experiment IS NOT NULL ORDER BY id DESC LIMIT 1" \
  | grep -qF '[REDACTED]' || fail "compare did not scrub the key_file's key from the log"

leaks=0
for k in "$K_OPENAI" "$K_ANTHROPIC" "$K_GEMINI" "$K_FILE" LEAKCHECK; do
  if grep -rl -- "$k" "$T" --exclude-dir=.git 2>/dev/null; then leaks=1; fi
  if git log --all -p 2>/dev/null | grep -q -- "$k"; then echo "in git history: $k"; leaks=1; fi
  if sqlite3 .rosetta/runs.db .dump | grep -q -- "$k"; then echo "in the run log: $k"; leaks=1; fi
done
[ "$leaks" = 0 ] || fail "a key leaked (files listed above)"
echo "run_secrets: ok ($n runs, no key in stdout, stderr, the run log or the registry)"
