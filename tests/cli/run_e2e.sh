#!/usr/bin/env bash
# rosetta run end to end: a registry prompt with a provider variant, the offline mock, the fake
# provider scripted with faults (retry, fallback with the target's own variant, failure),
# streaming, --json, and the run log checked with sqlite3.
# usage: run_e2e.sh ROSETTA FAKE_PROVIDER
set -euo pipefail
R=$1
FAKE=$2
T=$(mktemp -d /tmp/rs_run_e2e.XXXXXX)
FPID=
cleanup() {
  if [ -n "$FPID" ]; then kill "$FPID" 2>/dev/null || true; wait "$FPID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: got [$1], expected [$2]"; }

cd "$T"
"$R" init reg >/dev/null
cd reg
cat > prompts/triage.prompt <<'EOF'
---
config: {temperature: 0.2}
input:
  schema: {ticket: string}
---
{{role "system"}}You triage support tickets.
{{role "user"}}{{ticket}}
EOF
cat > prompts/triage.anthropic.prompt <<'EOF'
---
rosetta.targets: ["anthropic/*"]
input:
  schema: {ticket: string}
---
{{role "system"}}<instructions>Triage the ticket.</instructions>
{{role "user"}}{{ticket}}
EOF
cat >> rosetta.yaml <<'EOF'
routes:
  resilient: [openai/gpt-4o-mini, anthropic/claude-sonnet-4-5]
  offline:
    fallback: [mock/fail:overloaded, mock/upper]
models:
  echo: mock/echo
EOF
printf -- '---\nmodel: mock/upper\n---\n{{role "user"}}{{> sig}} {{word}}\n' > prompts/shout.prompt
printf 'hey' > prompts/_sig.prompt
"$R" save -m "triage prompt" >/dev/null
DB=.rosetta/runs.db
q() { sqlite3 "$DB" "$1"; }

# --- offline: mock, deterministic, logged against the version ---
out=$("$R" run triage --target mock/echo --var ticket="printer on fire")
expect_eq "$out" "printer on fire" "mock/echo"
out2=$("$R" run triage --target echo --var ticket="printer on fire")
expect_eq "$out2" "$out" "alias echo -> mock/echo, deterministic"
expect_eq "$(q "select prompt, version, provider, model, status, attempts, input_tokens, output_tokens from runs order by id limit 1")" \
  "triage|v1|mock|echo|ok|1|7|3" "logged mock run"
expect_eq "$(q "select count(*) from runs where \"commit\" is not null and length(\"commit\") = 40")" "2" "commit logged"
out=$("$R" run shout --var word=you)
expect_eq "$out" "HEY YOU" "the prompt's own model: and a partial"
mkdir -p "$T/src"
printf -- '---\nmodel: mock/echo\n---\n{{role "user"}}{{> sig}}, {{who}}\n' > "$T/src/greet.prompt"
printf 'hello' > "$T/src/_sig.prompt"
out=$("$R" run --source "$T/src/greet.prompt" --var who=Ada --no-log)
expect_eq "$out" "hello, Ada" "--source with a sibling partial and its model:"
out=$("$R" run triage --target mock/upper --stream --var ticket="a b c")
expect_eq "$out" "A B C" "--stream mock/upper"
out=$("$R" run triage --route offline --attempts 1 --var ticket=hi)
expect_eq "$out" "HI" "offline route falls back in process"
expect_eq "$(q "select error_class from attempts where run_id = (select max(id) from runs) order by n")" \
  "$(printf 'overloaded\n')" "offline attempt rows"
set +e
"$R" run triage --target mock/fail:auth --var ticket=x >/dev/null 2>"$T/err"
rc=$?
set -e
expect_eq "$rc" "6" "a failed run exits 6"
grep -q "auth" "$T/err" || fail "failure names its class"
expect_eq "$(q "select status, error_class from runs order by id desc limit 1")" "error|auth" "failed run logged"
set +e
"$R" run triage --var ticket=x >/dev/null 2>&1
rc=$?
"$R" run nosuch --target mock/echo >/dev/null 2>&1
rc2=$?
set -e
[ "$rc" = "2" ] || [ "$rc" = "3" ] || fail "no target: exit $rc"
expect_eq "$rc2" "4" "unknown prompt exits 4"

# --- the fake provider, scripted ---
"$FAKE" --port-file "$T/port" --lifetime 120 >/dev/null &
FPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
P=$(cat "$T/port")
export OPENAI_BASE_URL=http://127.0.0.1:$P/v1 ANTHROPIC_BASE_URL=http://127.0.0.1:$P
export OPENAI_API_KEY=sk-e2e-not-a-real-key-000 ANTHROPIC_API_KEY=sk-ant-e2e-not-a-real-key-000
script() { curl -s -X POST --data-binary "$1" "http://127.0.0.1:$P/_fake/script" >/dev/null; }

script $'status:429,retry-after-ms:50\nstatus:529'
out=$("$R" run triage --target openai/gpt-4o-mini --seed 7 --var ticket=hi)
expect_eq "$out" "Hello from the fake openai." "retried to success"
expect_eq "$(q "select group_concat(coalesce(error_class,'ok') || ':' || http_status, ' ') from (select * from attempts where run_id = (select max(id) from runs) order by n)")" \
  "rate_limit:429 overloaded:529 ok:200" "attempt rows"
expect_eq "$(q "select retry_after_ms from attempts where run_id = (select max(id) from runs) and n = (select min(n) from attempts where run_id = (select max(id) from runs))")" "50" "hint logged"

script 'status:401'
out=$("$R" run triage --route resilient --var ticket=hi)
expect_eq "$out" "Hello from the fake anthropic." "fallback"
expect_eq "$(q "select provider, variant, route from runs order by id desc limit 1")" "anthropic|anthropic|resilient" "fallback with its variant"

script $'status:500\nstatus:502\nstatus:504'
set +e
"$R" run triage --target openai/gpt-4o-mini --seed 1 --var ticket=hi >/dev/null 2>"$T/err"
rc=$?
set -e
expect_eq "$rc" "6" "all attempts failed"
expect_eq "$(q "select status, error_class, attempts from runs order by id desc limit 1")" "error|server|3" "failed run"

script 'cut'
out=$("$R" run triage --target anthropic/claude-sonnet-4-5 --stream --var ticket=hi 2>"$T/err")
echo "$out" | tail -n1 | grep -qx "Hello from the fake anthropic." || fail "stream retried after a cut: [$out]"
grep -q "retrying" "$T/err" || fail "the cut stream is announced"

"$R" run triage --target openai/gpt-4o-mini --json --var ticket=hi > "$T/json"
grep -q '"ok":[[:space:]]*true' "$T/json" || fail "--json ok"
grep -q '"text":[[:space:]]*"Hello from the fake openai."' "$T/json" || fail "--json text"
grep -q '"input":[[:space:]]*12' "$T/json" || fail "--json usage"
# --- keys: a missing key is a configuration error; a key_file outside the registry works ---
unset OPENAI_API_KEY
set +e
"$R" run triage --target openai/gpt-4o-mini --var ticket=hi >/dev/null 2>"$T/err"
rc=$?
set -e
expect_eq "$rc" "3" "missing key exits 3"
grep -q "OPENAI_API_KEY" "$T/err" || fail "the missing key's variable is named"
printf 'OPENAI_API_KEY=sk-from-keyfile-not-real-0000\n' > "$T/keys.env"
chmod 600 "$T/keys.env"
printf 'key_file: %s\n' "$T/keys.env" >> rosetta.yaml
"$R" save -m "key_file" >/dev/null
out=$("$R" run triage --target openai/gpt-4o-mini --var ticket=hi)
expect_eq "$out" "Hello from the fake openai." "key from key_file"
printf 'OPENAI_API_KEY=x\n' > keys-inside.env
sed -i "s|^key_file: .*|key_file: $PWD/keys-inside.env|" rosetta.yaml
"$R" save -m "key_file inside" rosetta.yaml >/dev/null 2>&1 || "$R" save -m "key_file inside" >/dev/null
set +e
"$R" run triage --target openai/gpt-4o-mini --var ticket=hi >/dev/null 2>"$T/err"
rc=$?
set -e
expect_eq "$rc" "3" "a key_file inside the registry is refused"
grep -q "inside the registry" "$T/err" || fail "key_file refusal says why"
rm -f keys-inside.env
sed -i '/^key_file:/d' rosetta.yaml
"$R" save -m "no key_file" >/dev/null
export OPENAI_API_KEY=sk-e2e-not-a-real-key-000

# --- SIGINT: the run in flight is logged as interrupted, exit 130 ---
script 'slow:5000'
fake_requests() { curl -s "http://127.0.0.1:$P/_fake/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
before=$(fake_requests)
"$R" run triage --target openai/gpt-4o-mini --var ticket=hi >/dev/null 2>"$T/err" &
RPID=$!
# Signal only once the request is in flight at the fake (so the run's handler is installed:
# a background job of a script starts with SIGINT ignored until the handler replaces that).
for _ in $(seq 1 200); do
  [ "$(fake_requests)" -gt "$before" ] && break
  sleep 0.05
done
kill -INT "$RPID"
set +e
wait "$RPID"
rc=$?
set -e
expect_eq "$rc" "130" "interrupted run exits 130"
expect_eq "$(q "select status, error_class from runs order by id desc limit 1")" "error|interrupted" "interrupted run logged"

# --- the overall deadline bounds retries and each attempt ---
script $'slow:5000\nslow:5000\nslow:5000'
start=$(date +%s%N)
set +e
"$R" run triage --target openai/gpt-4o-mini --deadline 600 --var ticket=hi >/dev/null 2>"$T/err"
rc=$?
set -e
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "$rc" "6" "deadline exceeded exits 6"
[ "$ms" -lt 3000 ] || fail "the deadline of 600 ms took $ms ms"
expect_eq "$(q "select error_class from runs order by id desc limit 1")" "timeout" "deadline class"
echo "run_e2e: ok"
