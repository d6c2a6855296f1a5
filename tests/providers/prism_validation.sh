#!/usr/bin/env bash
# prism_validation: every golden body of the OpenAI, OpenAI-compatible, Responses, Anthropic,
# Mistral and Ollama dialects is POSTed to a Prism mock serving that provider's own API description
# (shared/specs/*.prism.json, on loopback ports). Each must get 200; the deliberately invalid bodies
# in tests/providers/invalid/ must get 422, which proves the validation bites.
#   usage: prism_validation.sh GOLDEN_DIR INVALID_DIR SHARED_DIR [BASE_PORT]
# Prism is installed by shared/tools/prism/run-mock.sh (npm); the servers are killed on exit.
set -uo pipefail
golden="$1"; invalid="$2"; shared="$3"
# Ports: given, or four free ones from a per-process base, so concurrent runs (several build
# directories' ctest at once) never answer each other's requests.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -n "${4:-}" ]; then base="$4"; else
  base=$(( 20000 + ($$ * 7) % 30000 ))
  while ! { port_free $base && port_free $((base+1)) && port_free $((base+2)) && port_free $((base+3)); }; do
    base=$((base + 4))
  done
fi
run="$shared/tools/prism/run-mock.sh"
specs="$shared/specs"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT INT TERM

start() { # NAME SPEC PORT
  local pid
  if ! pid="$("$run" "$specs/$2" "$3")"; then
    echo "prism_validation: could not start Prism for $1 (port $3):" >&2
    tail -20 "${TMPDIR:-/tmp}/prism-$3.log" >&2; exit 1
  fi
  pids+=("$pid")
}
p_openai=$base; p_anthropic=$((base+1)); p_mistral=$((base+2)); p_ollama=$((base+3))
# one after the other, so each pid is known (run-mock.sh returns once its server answers)
start openai openai.prism.json $p_openai
start anthropic anthropic.prism.json $p_anthropic
start mistral mistral.prism.json $p_mistral
start ollama ollama.prism.json $p_ollama

# URL and headers for a service's dialect
target() { # SERVICE -> sets url, hdr[]
  hdr=(-H 'content-type: application/json')
  case "$1" in
    openai|groq|together|deepseek|openrouter|vllm|llamacpp)
      url="http://127.0.0.1:$p_openai/chat/completions"; hdr+=(-H 'Authorization: Bearer test') ;;
    openai-responses)
      url="http://127.0.0.1:$p_openai/responses"; hdr+=(-H 'Authorization: Bearer test') ;;
    anthropic)
      url="http://127.0.0.1:$p_anthropic/v1/messages"
      hdr+=(-H 'x-api-key: test' -H 'anthropic-version: 2023-06-01') ;;
    mistral)
      url="http://127.0.0.1:$p_mistral/v1/chat/completions"; hdr+=(-H 'Authorization: Bearer test') ;;
    ollama)
      url="http://127.0.0.1:$p_ollama/api/chat" ;;
    *) url="" ;;
  esac
}

# The community Anthropic description dates from 2024: it lacks fields the API added since
# (structured output, URL image sources, PDF documents, tool_choice none). Bodies using them are
# reported as skipped, never counted as passed.
anthropic_newer() {
  grep -q '"output_config"\|"type":[[:space:]]*"url"\|"type":[[:space:]]*"document"\|"tool_choice":[[:space:]]*{[[:space:]]*"type":[[:space:]]*"none"' "$1"
}

post() { # FILE -> http code; response saved for failures. A connection failure or a 5xx from a
          # loaded machine is tried again (up to 3 times); 200 and 422 are answers.
  local code tries=0
  while :; do
    code="$(curl -s --max-time 60 -o /tmp/prism-resp.$$ -D /tmp/prism-hdr.$$ -w '%{http_code}' \
            -X POST "$url" "${hdr[@]}" --data-binary @"$1")"
    tries=$((tries+1))
    case "$code" in 000|5??) [ $tries -lt 3 ] && { sleep 1; continue; } ;; esac
    echo "$code"; return
  done
}

ok=0; bad=0; skipped=0; invalid_ok=0; declare -A per
for f in "$golden"/*.json; do
  b="$(basename "$f" .json)"; svc="${b##*.}"
  target "$svc"; [ -n "$url" ] || continue
  if [ "$svc" = anthropic ] && anthropic_newer "$f"; then
    skipped=$((skipped+1)); echo "SKIP $b (feature newer than the 2024 Anthropic description)"; continue
  fi
  if [ "$svc" = openai-responses ] && grep -q '"input_image"' "$f"; then
    skipped=$((skipped+1)); echo "SKIP $b (the Responses description's input-item oneOf overlaps for array content)"; continue
  fi
  code="$(post "$f")"
  if [ "$code" = 200 ]; then ok=$((ok+1)); per[$svc]=$(( ${per[$svc]:-0} + 1 ))
  else
    bad=$((bad+1)); echo "FAIL $b: HTTP $code"
    grep -i '^sl-violations' /tmp/prism-hdr.$$ | head -c 600; head -c 600 /tmp/prism-resp.$$; echo
  fi
done
for f in "$invalid"/*.json; do
  b="$(basename "$f" .json)"; svc="${b%%.*}"
  target "$svc"
  code="$(post "$f")"
  if [ "$code" = 422 ]; then invalid_ok=$((invalid_ok+1))
  else bad=$((bad+1)); echo "FAIL invalid/$b: expected 422, got HTTP $code"; fi
done
rm -f /tmp/prism-resp.$$ /tmp/prism-hdr.$$
ninvalid=$(ls "$invalid"/*.json | wc -l)
summary=""; for s in "${!per[@]}"; do summary+=" $s=${per[$s]}"; done
echo "prism_validation: $ok golden bodies got 200 (${summary# }), $skipped skipped (description older than or ambiguous for the feature), $invalid_ok/$ninvalid invalid bodies got 422, $bad failures"
[ "$bad" = 0 ] && [ "$ok" -gt 0 ]
