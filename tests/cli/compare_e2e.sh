#!/usr/bin/env bash
# rosetta compare end to end, through the offline mock provider and the fake provider server:
#  - a truly better prompt version gets a significant winner; identical arms do not;
#  - faults mid-run are retried or recorded in the log, never lost;
#  - a compare killed with SIGINT resumes (--resume EXP) to the same final figures as an
#    uninterrupted one, and no call is made twice;
#  - stats --experiment re-reports from the log alone; the cache answers a rerun;
#  - live split assignment is sticky and feedback lands on the run.
# usage: compare_e2e.sh ROSETTA FAKE_PROVIDER SOURCE_DIR
set -euo pipefail
R=$1
FAKE=$2
SRC=$3
T=$(mktemp -d /tmp/rs_compare_e2e.XXXXXX)
FPID=
CPID=
cleanup() {
  if [ -n "$FPID" ]; then kill "$FPID" 2>/dev/null || true; wait "$FPID" 2>/dev/null || true; fi
  if [ -n "$CPID" ]; then kill "$CPID" 2>/dev/null || true; wait "$CPID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: got [$1], expected [$2]"; }
export NO_COLOR=1

cd "$T"
"$R" init reg >/dev/null
cd reg
mkdir -p prompts/support
cp "$SRC/tests/compare/triage.v1.prompt" prompts/support/triage.prompt
"$R" save -m "triage v1" >/dev/null
cp "$SRC/tests/compare/triage.v2.prompt" prompts/support/triage.prompt
"$R" save -m "triage v2: the CRM's product area" >/dev/null
cp "$SRC/examples/datasets/support-tickets.jsonl" datasets/
DB=.rosetta/runs.db
q() { sqlite3 "$DB" "$1"; }
A1=support/triage@v1@mock/echo
A2=support/triage@v2@mock/echo

# --- 1. a truly better version wins, significantly ---
"$R" compare $A1 $A2 --dataset support-tickets --scorer icontains --json --experiment e-better \
  > better.json 2> better.err
expect_eq "$(jq -r .winner better.json)" "$A2" "winner"
expect_eq "$(jq -r '.arms[1].vs_baseline.verdict' better.json)" "better" "verdict"
expect_eq "$(jq -r '.arms[1].vs_baseline.test' better.json)" "mcnemar-exact" "test"
expect_eq "$(jq -r '.arms[0].pass.rate, .arms[1].pass.rate' better.json | tr '\n' ' ')" "0.2 1 " \
  "pass rates"
jq -e '.arms[1].vs_baseline.p_holm < 0.001' better.json >/dev/null || fail "p not tiny"
expect_eq "$(q "select count(*) from runs where experiment='e-better'")" "80" "80 calls logged"
expect_eq "$(q "select count(distinct arm||case_id) from runs where experiment='e-better'")" "80" \
  "one run per arm and case"
expect_eq "$(q "select count(*) from feedback f join runs r on r.id=f.run_id where r.experiment='e-better' and f.label='score:icontains'")" \
  "80" "scores stored with the runs"
grep -q "experiment e-better" better.err || fail "experiment id not printed"

# the table, without colour when NO_COLOR is set
"$R" compare --resume e-better > table.txt
grep -q "Winner: $A2" table.txt || fail "table winner"
grep -q "mcnemar-exact" table.txt || fail "table test"
if grep -q $'\033' table.txt; then fail "colour despite NO_COLOR"; fi
expect_eq "$(q "select count(*) from runs where experiment='e-better'")" "80" "resume of a finished experiment runs nothing"

# --- 2. identical arms: no winner; the cache answers the repeated requests ---
"$R" compare $A1 support/triage@v1@mock/upper --dataset support-tickets --scorer icontains --json \
  --experiment e-same > same.json
expect_eq "$(jq -r .winner same.json)" "null" "no winner for identical arms"
expect_eq "$(jq -r '.arms[1].vs_baseline.verdict' same.json)" "no significant difference" "verdict"
expect_eq "$(jq -r '.arms[1].vs_baseline.p' same.json)" "1" "p = 1"
expect_eq "$(q "select count(*) from runs where experiment='e-same' and route='cache'")" "40" \
  "the baseline arm came from the cache (same requests as e-better)"
expect_eq "$(q "select distinct prompt||' '||version from runs where experiment='e-same' and route='cache'")" \
  "support/triage v1" "cached runs keep the prompt version"

# a small true difference on few cases: no winner, and an estimate of the cases needed
head -5 datasets/support-tickets.jsonl > datasets/small.jsonl
"$R" compare $A1 $A2 --dataset small --scorer icontains --json --experiment e-small > small.json
expect_eq "$(jq -r .winner small.json)" "null" "5 cases: never significant (p >= 1/16)"
jq -e '.arms[1].vs_baseline.cases_needed > 5' small.json >/dev/null || fail "cases needed"
jq -r .summary small.json | grep -q "would be needed" || fail "summary says how many"

# --- 3. stats --experiment re-reports from the log alone ---
"$R" stats --experiment e-better --json > stats.json
for k in pass score vs_baseline errors cost_usd tokens; do
  expect_eq "$(jq -c ".compare.arms | map(.$k)" stats.json)" "$(jq -c ".arms | map(.$k)" better.json)" \
    "stats --experiment: $k"
done

# --- 4. kill mid-run, resume: same figures, no call twice, none lost ---
export ROSETTA_MOCK_LATENCY_MS=40
"$R" compare $A1 $A2 --dataset support-tickets --scorer icontains --scorer "similarity:f1>=0.2" \
  --no-cache -j 2 --json --experiment e-full > full.json
"$R" compare $A1 $A2 --dataset support-tickets --scorer icontains --scorer "similarity:f1>=0.2" \
  --no-cache -j 2 --json --experiment e-kill > /dev/null 2> kill.err &
CPID=$!
# Interrupt once a few calls are in the log, not after a fixed sleep: a fast runner finished the
# whole run before a 0.8 s timer fired, and a loaded machine can start it late.
for _ in $(seq 500); do
  [ "$(q "select count(*) from runs where experiment='e-kill'" 2>/dev/null || echo 0)" -ge 4 ] && break
  sleep 0.01
done
kill -INT $CPID
set +e
wait $CPID
code=$?
set -e
CPID=
expect_eq "$code" "130" "interrupted exit code"
grep -q "rosetta compare --resume e-kill" kill.err || fail "resume hint: $(cat kill.err)"
done_before=$(q "select count(*) from runs where experiment='e-kill' and (error_class is null or error_class != 'interrupted')")
[ "$done_before" -gt 0 ] && [ "$done_before" -lt 80 ] || fail "killed mid-run: $done_before calls"
"$R" compare --resume e-kill --json > resumed.json
unset ROSETTA_MOCK_LATENCY_MS
expect_eq "$(q "select count(*) from runs where experiment='e-kill' and (error_class is null or error_class != 'interrupted')")" \
  "80" "every call exactly once after resume"
expect_eq "$(q "select count(*) from (select arm, case_id from runs where experiment='e-kill' and status='ok' group by arm, case_id having count(*) > 1)")" \
  "0" "no call twice"
for k in pass score scorers vs_baseline errors scored; do
  expect_eq "$(jq -c ".arms | map(.$k)" resumed.json)" "$(jq -c ".arms | map(.$k)" full.json)" \
    "resumed = uninterrupted: $k"
done
expect_eq "$(jq -r .summary resumed.json)" "$(jq -r .summary full.json)" "same summary"

# --- 5. faults mid-run through the fake provider: retried, or recorded; never lost ---
"$FAKE" --port-file "$T/port" --lifetime 120 >/dev/null &
FPID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
P=$(cat "$T/port")
export OPENAI_BASE_URL=http://127.0.0.1:$P/v1 OPENAI_API_KEY=sk-compare-e2e-not-a-real-key
head -6 datasets/support-tickets.jsonl > datasets/six.jsonl
printf 'status:500\nok\nstatus:429,retry-after-ms:5\nok\nquota\nok\nstatus:503\nok\nquota\n' |
  curl -s -X POST --data-binary @- "http://127.0.0.1:$P/_fake/script" >/dev/null
"$R" compare support/triage@v1@openai/gpt-4o-mini support/triage@v2@openai/gpt-4o-mini \
  --dataset six --scorer contains:Hello -j 1 --no-cache --seed 7 --json --experiment e-faults \
  > faults.json
expect_eq "$(q "select count(*) from runs where experiment='e-faults'")" "12" "every call logged"
expect_eq "$(q "select count(*) from runs where experiment='e-faults' and status='error'")" "2" \
  "quota failures recorded"
expect_eq "$(q "select count(*) from runs where experiment='e-faults' and status='ok' and attempts=2")" "3" \
  "500, 429, 503 retried"
expect_eq "$(jq '[.arms[].errors] | add' faults.json)" "2" "errors in the report"
expect_eq "$(jq '[.arms[].done] | add' faults.json)" "12" "none lost"
expect_eq "$(jq '[.arms[].scored] | add' faults.json)" "10" "the rest scored"

# --- 6. eval spec, bad dataset lines, live split and feedback ---
mkdir -p evals
cat > evals/triage.yaml <<EOF
arms: [$A1, $A2]
dataset: support-tickets
scorers: [icontains]
concurrency: 4
EOF
"$R" compare --spec triage --json --experiment e-spec > spec.json
expect_eq "$(jq -r .winner spec.json)" "$A2" "spec winner"
printf '{"id":"a","vars":{}}\n{"id":"b","vars":[1]}\nnot json\n' > datasets/bad.jsonl
set +e
"$R" compare $A1 $A2 --dataset bad > /dev/null 2> bad.err
code=$?
set -e
expect_eq "$code" "3" "bad dataset exit code"
grep -q "datasets/bad.jsonl:2:1: \"vars\" must be an object (the prompt's input) (1 more bad line: 3)" bad.err ||
  fail "bad dataset message: $(cat bad.err)"
expect_eq "$(q "select count(*) from runs where case_id in ('a','b')")" "0" "nothing ran on a bad dataset"
rm datasets/bad.jsonl

# LLM judge through the runner: a rubric prompt from the registry, judged by mock/fixed
mkdir -p prompts/rubrics
cat > prompts/rubrics/helpful.prompt <<'EOF'
---
input:
  schema: {input: any, output: string, expected?: any}
---
{{role "system"}}Grade the answer from 0 to 1. Reply with JSON {"score": S, "reason": "..."}.
{{role "user"}}Answer: {{output}}
Expected: {{expected}}
EOF
"$R" save -m rubric > /dev/null
"$R" compare $A1 $A2 --dataset six --scorer 'judge:rubrics/helpful@mock/fixed:{"score":0.75}' \
  --json --experiment e-judge > judge.json
expect_eq "$(jq -c '[.arms[].score.mean]' judge.json)" "[0.75,0.75]" "judge scores"
expect_eq "$(q "select count(*) from runs where experiment='e-judge#judge'")" "12" "judge calls logged"
"$R" compare --resume e-judge --json > /dev/null
expect_eq "$(q "select count(*) from runs where experiment='e-judge#judge'")" "12" "judge not asked twice"
set +e
"$R" compare $A1 $A2 --dataset six --scorer 'judge:rubrics/helpful@mock/fixed:four/5' --json \
  --experiment e-judge-bad > judge-bad.json 2> /dev/null
code=$?
set -e
expect_eq "$code" "1" "nothing scored: exit 1"
expect_eq "$(jq -c '[.arms[] | .scored, .score_errors]' judge-bad.json)" "[0,6,0,6]" \
  "a malformed judge answer is an error, not a zero"
jq -r '.results[0].arms[0].scores[0].error' judge-bad.json | grep -q "malformed judge answer" ||
  fail "judge error message"

# nothing could be scored: exit 1
set +e
"$R" compare $A1 support/triage@v2@mock/fail:auth --dataset six --scorer equals:x --attempts 1 \
  --scorer 'judge:rubrics/helpful@mock/fixed:bad' > /dev/null 2> none.err
code=$?
set -e
expect_eq "$code" "1" "exit 1 when no answer could be scored"
grep -q "no answer could be scored" none.err || fail "no-score message"

# json-schema without a file checks against the prompt's own output.schema
cat > prompts/classify.prompt <<'EOF'
---
input:
  schema: {ticket: string, area?: string}
output:
  format: json
  schema: {category(enum): [billing, bug, account, shipping], urgency: integer}
---
{{role "user"}}{{ticket}}
EOF
"$R" save -m classify prompts/classify.prompt > /dev/null
"$R" compare classify@mock/echo classify@mock/json --dataset six --scorer json-schema --json \
  --experiment e-schema > schema.json
expect_eq "$(jq -c '[.arms[].pass.rate]' schema.json)" "[0,1]" "json-schema from output.schema"
expect_eq "$(jq -r .winner schema.json)" "classify@mock/json" "6 of 6 discordant: p = 1/32"

# live traffic split: sticky arms by key, feedback later, unpaired statistics from the log
unset OPENAI_BASE_URL OPENAI_API_KEY
for i in $(seq 1 60); do
  "$R" run support/triage --split "v1=50,v2=50" --key "user-$i" --target mock/echo \
    --var ticket="ticket $i" --var area=bug --json > run.json
  id=$(jq -r .run_id run.json)
  ver=$(jq -r .version run.json)
  # v2 satisfies every user, v1 every other one
  if [ "$ver" = v2 ] || [ $((i % 2)) = 0 ]; then s=1; else s=0; fi
  "$R" feedback "$id" --score "$s" --label thumbs > /dev/null
done
again=$("$R" run support/triage --split "v1=50,v2=50" --key user-7 --target mock/echo \
  --var ticket=x --var area=bug --json | jq -r .version)
expect_eq "$again" "$(q "select version from runs where case_id='user-7' order by id limit 1")" "sticky arm"
n1=$(q "select count(*) from runs where experiment='split-support.triage' and arm='v1'")
[ "$n1" -ge 15 ] && [ "$n1" -le 45 ] || fail "split far from 50/50: $n1 of 61 in v1"
"$R" stats --experiment split-support.triage --json > live.json
expect_eq "$(jq -r .compare.design live.json)" "unpaired" "live design"
expect_eq "$(jq -r .compare.winner live.json)" "v2" "live winner"
# a split declared in rosetta.yaml (experiments:), used with --key alone
cat >> rosetta.yaml <<'EOF'
experiments:
  triage-live: {prompt: support/triage, split: "v1=20,v2=80"}
EOF
"$R" save -m "live experiment" rosetta.yaml > /dev/null
for i in $(seq 1 20); do
  "$R" run support/triage --key "u$i" --target mock/echo --var ticket=x --var area=bug > /dev/null
done
expect_eq "$(q "select count(*) from runs where experiment='triage-live'")" "20" "rosetta.yaml split logged"
v2=$(q "select count(*) from runs where experiment='triage-live' and arm='v2'")
[ "$v2" -ge 10 ] || fail "v1=20,v2=80 gave only $v2 of 20 to v2"

set +e
"$R" feedback 999999 --score 1 > /dev/null 2>&1
code=$?
set -e
[ "$code" != 0 ] || fail "feedback on a missing run accepted"

echo ok
