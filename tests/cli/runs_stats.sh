#!/usr/bin/env bash
# rosetta runs / runs show / stats over a real run log: two prompt versions run through the
# offline mock (one failing), then listing, filters, JSON shapes, grouping, percentiles, cost
# accounting (unknown never counted as zero), and the error exits of both commands.
# usage: runs_stats.sh ROSETTA
set -euo pipefail
R=$1
T=$(mktemp -d /tmp/rs_runs_stats.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: got [$1], expected [$2]"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

cd "$T"
# no log yet: read commands say so and create nothing
expect_eq "$("$R" runs)" "no runs yet (no run log at .rosetta/runs.db)" "runs without a log"
expect_eq "$("$R" stats --json)" "[]" "stats without a log"
[ ! -e .rosetta ] || fail "a read command created the log"

"$R" init reg >/dev/null
cd reg
printf -- '---\ninput:\n  schema: {name: string}\n---\nHello {{name}}\n' > prompts/greet.prompt
"$R" save -m v1 >/dev/null
printf -- '---\ninput:\n  schema: {name: string}\n---\nHi there {{name}}\n' > prompts/greet.prompt
"$R" save -m v2 >/dev/null
"$R" run greet@v1 --target mock/echo --var name=Ada >/dev/null
"$R" run greet@v1 --target mock/upper --var name=Bob >/dev/null
"$R" run greet --target mock/echo --var name=Cy >/dev/null
"$R" run greet --target mock/echo --stream --var name=Di >/dev/null
"$R" run greet --target mock/fail:server --attempts 2 --var name=Ed >/dev/null 2>&1 && fail "fail:server succeeded"

# --- runs: newest first, table and JSON ---
out=$("$R" runs)
echo "$out" | head -1 | grep -q "^ID *WHEN (UTC) *PROMPT *TARGET *STATUS" || fail "runs header: $out"
expect_eq "$(echo "$out" | wc -l | tr -d ' ')" "6" "runs lists 5 runs + header"
echo "$out" | sed -n 2p | grep -q "greet@v2 *mock/fail:server *error server" || fail "newest first: $out"
expect_eq "$("$R" runs --json | json 'len(d)')" "5" "runs --json"
expect_eq "$("$R" runs --json | json '[r["id"] for r in d]')" "[5, 4, 3, 2, 1]" "runs order"
expect_eq "$("$R" runs --limit 2 --json | json 'len(d)')" "2" "--limit"
expect_eq "$("$R" runs --limit 0 --json | json 'len(d)')" "5" "--limit 0 = all"
expect_eq "$("$R" runs --prompt nope --json)" "[]" "--prompt filter"
expect_eq "$("$R" runs --since 1h --json | json 'len(d)')" "5" "--since 1h"
expect_eq "$("$R" runs --since 2999-01-01 --json)" "[]" "--since a future date"

# --- runs show ---
expect_eq "$("$R" runs show 1 --json | json 'd["version"], d["provider"], d["model"], d["status"], d["output"], d["input"]["name"]')" \
  "v1 mock echo ok Hello Ada Ada" "show 1"
expect_eq "$("$R" runs show 5 --json | json 'd["status"], d["error_class"], len(d["attempts"]), d["attempts"][0]["http_status"], d["cost_usd"]')" \
  "error server 2 500 None" "show 5: failed run with its attempts, cost unknown"
"$R" runs show 5 | grep -q "^attempts" || fail "show prints attempts"
"$R" runs show 1 | grep -q "^output" || fail "show prints the output"

# --- stats ---
out=$("$R" stats --by version)
echo "$out" | head -1 | grep -q "^VERSION *RUNS *ERRORS *P50 *P95 *TTFT50" || fail "stats header: $out"
s=$("$R" stats --by version --json)
expect_eq "$(echo "$s" | json '[(g["version"], g["count"], g["errors"]) for g in d]')" "[('v1', 2, 0), ('v2', 3, 1)]" "stats by version"
expect_eq "$(echo "$s" | json 'd[1]["error_rate"] == 1/3')" "True" "error rate"
expect_eq "$(echo "$s" | json 'd[0]["latency_p50_ms"] is not None and d[0]["latency_p95_ms"] >= d[0]["latency_p50_ms"]')" "True" "percentiles"
# the failed run has no tokens and no cost: it is not counted as a zero-cost run
expect_eq "$(echo "$s" | json 'd[1]["cost_known"], d[1]["cost_total_usd"]')" "2 0" "mock costs are a known zero; the failure is unknown"
expect_eq "$("$R" stats greet --by provider,model --json | json '[(g["model"], g["count"]) for g in d]')" \
  "[('echo', 3), ('fail:server', 1), ('upper', 1)]" "stats by provider,model"
expect_eq "$("$R" stats nope --json)" "[]" "stats of an unknown prompt"
expect_eq "$("$R" stats --experiment none --json)" "[]" "stats --experiment"

# --- errors ---
set +e
"$R" stats --by colour >/dev/null 2>"$T/err"; rc=$?
expect_eq "$rc" "2" "bad --by is a usage error"
grep -q "unknown column 'colour'" "$T/err" || fail "bad --by names the column"
"$R" runs --since yesterday >/dev/null 2>&1; rc=$?
expect_eq "$rc" "2" "bad --since"
"$R" runs show 42 >/dev/null 2>"$T/err"; rc=$?
expect_eq "$rc" "4" "unknown run id"
"$R" runs show >/dev/null 2>&1; rc=$?
expect_eq "$rc" "2" "show without an id"
"$R" runs --limit x >/dev/null 2>&1; rc=$?
expect_eq "$rc" "2" "bad --limit"
set -e
"$R" runs --help | grep -q "^usage: rosetta runs" || fail "runs --help"
"$R" stats --help | grep -q "^usage: rosetta stats" || fail "stats --help"

# --- --log and ROSETTA_LOG pick the file ---
"$R" run greet --target mock/echo --log "$T/other.db" --var name=Fy >/dev/null
expect_eq "$("$R" runs --log "$T/other.db" --json | json 'len(d)')" "1" "--log"
expect_eq "$(ROSETTA_LOG="$T/other.db" "$R" runs --json | json 'len(d)')" "1" "ROSETTA_LOG"
echo "runs_stats: ok"
