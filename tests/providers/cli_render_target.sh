#!/usr/bin/env bash
# rosetta render --target/--curl: stdout, stderr and exit codes.
#   usage: cli_render_target.sh ROSETTA TESTS_PROVIDERS_DIR
set -uo pipefail
R="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; D="$(cd "$2" && pwd)"; fails=0; n=0
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
check() { n=$((n+1)); if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }

# the body is the golden body, for every service, end to end through the CLI
for svc in openai:gpt-4o-mini anthropic:claude-sonnet-4-5 gemini:gemini-2.5-flash ollama:llama3.2 \
           mistral:mistral-small-latest openai-responses:gpt-4.1-mini; do
  s="${svc%%:*}"; m="${svc#*:}"
  "$R" render --source "$D/prompts/tool_history.prompt" --data "$D/prompts/tool_history.data.json" \
      --target "$s/$m" > "$tmp/out" 2> "$tmp/err"; code=$?
  check "tool_history x $s exit 0" '[ $code = 0 ]'
  check "tool_history x $s body = golden" \
    'python3 -c "import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))" "$tmp/out" "$D/golden/tool_history.$s.json"'
  check "tool_history x $s one line" '[ "$(wc -l < "$tmp/out")" = 1 ]'
done

# --curl: the key's variable, never its value, even when it is set
ANTHROPIC_API_KEY=sk-ant-SECRET "$R" render --source "$D/prompts/basic.prompt" \
  --data "$D/prompts/basic.data.json" --target anthropic/claude-sonnet-4-5 --curl > "$tmp/out" 2>&1
code=$?
check "curl exit 0" '[ $code = 0 ]'
check "curl names the variable" 'grep -q "x-api-key: \$ANTHROPIC_API_KEY" "$tmp/out"'
check "curl never prints the key" '! grep -q SECRET "$tmp/out"'
check "curl endpoint" 'grep -q "^curl '"'"'https://api.anthropic.com/v1/messages'"'"'" "$tmp/out"'
check "curl runs as shell and sends the body" \
  'body="$(sed -n "s/^  -d '"'"'\(.*\)'"'"'$/\1/p" "$tmp/out")"; [ -n "$body" ] && echo "$body" | python3 -c "import json,sys; json.load(sys.stdin)"'

# --stream for gemini switches the endpoint
"$R" render --source "$D/prompts/basic.prompt" --target gemini/gemini-2.5-flash --curl --stream > "$tmp/out" 2>&1
check "gemini stream endpoint" 'grep -q ":streamGenerateContent?alt=sse" "$tmp/out"'

# a prompt a dialect cannot express: exit 3, the reason, nothing on stdout
"$R" render --source "$D/prompts/temperature_high.prompt" --target anthropic/claude-sonnet-4-5 > "$tmp/out" 2> "$tmp/err"
code=$?
check "unsupported exit 3" '[ $code = 3 ]'
check "unsupported says why" 'grep -q "config.temperature = 1.5 is out of range for anthropic (accepted: 0 to 1)" "$tmp/err"'
check "unsupported prints no body" '[ ! -s "$tmp/out" ]'

# usage and lookup errors
"$R" render --source "$D/prompts/basic.prompt" --curl > /dev/null 2> "$tmp/err"; code=$?
check "curl without target is a usage error" '[ $code = 2 ]'
"$R" render --source "$D/prompts/basic.prompt" --target nosuch/model > /dev/null 2> "$tmp/err"; code=$?
check "unknown provider exit 4" '[ $code = 4 ] && grep -q "unknown provider '"'"'nosuch'"'"'" "$tmp/err"'
"$R" render --source "$D/prompts/basic.prompt" --target openai > /dev/null 2> "$tmp/err"; code=$?
check "target without model exit 3" '[ $code = 3 ] && grep -q "PROVIDER/MODEL" "$tmp/err"'
"$R" render --help | grep -q -- "--target P/M"; check "help lists --target" '[ $? = 0 ]'

# a registry's rosetta.yaml declares a new OpenAI-compatible service, no code
if command -v git >/dev/null; then
  reg="$tmp/reg"; mkdir -p "$reg"
  "$R" init "$reg" > /dev/null 2>&1
  printf 'providers:\n  fireworks:\n    base_url: https://api.fireworks.ai/inference/v1\n    key_env: FIREWORKS_API_KEY\n    quirks: [max_tokens_legacy]\n' >> "$reg/rosetta.yaml"
  cp "$D/prompts/basic.prompt" "$reg/prompts/"
  (cd "$reg" && git add -A && git -c user.email=t@t -c user.name=t commit -qm t) > /dev/null 2>&1
  (cd "$reg" && "$R" render basic --var country=Peru --target fireworks/llama-v3 --curl) > "$tmp/out" 2> "$tmp/err"
  code=$?
  check "yaml service exit 0" '[ $code = 0 ] || { cat "$tmp/err"; false; }'
  check "yaml service endpoint" 'grep -q "https://api.fireworks.ai/inference/v1/chat/completions" "$tmp/out"'
  check "yaml service key variable" 'grep -q "Bearer \$FIREWORKS_API_KEY" "$tmp/out"'
  check "yaml service quirk" 'grep -q "\"max_tokens\":256" "$tmp/out"'
fi

echo "cli_render_target: $((n-fails))/$n checks passed"
[ "$fails" = 0 ]
