#!/usr/bin/env bash
# Regenerate tests/differential/cases/*/expected.json with the Dotprompt reference renderer
# (shared/tools/dotprompt-ref: npm dotprompt 1.1.2 under node). The expected files are committed
# so the differential test (tests/differential/run.py) runs without node.
#
#   scripts/regen-differential.sh            every case
#   scripts/regen-differential.sh NAME...    only these cases
#
# A case directory holds prompt.prompt and optionally data.json, options.json, schemas.json,
# partials/ (partial "a/b" is partials/a/_b.prompt), an empty file `metadata` (render the
# metadata instead of the prompt: the reference's renderMetadata, `rosetta render --metadata`) and
# an empty file `stdin` (the prompt is read from standard input: --source -).
# The reference must succeed without writing to stderr (it logs YAML errors and carries on with
# the whole file as the template; such a case belongs in tests/errors/, not here).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ref="${DOTPROMPT_REF:-$root/../shared/tools/dotprompt-ref/dotprompt-ref}"
cases="$root/tests/differential/cases"
[ -x "$ref" ] || { echo "regen-differential: reference not found at $ref" >&2; exit 2; }

if [ $# -gt 0 ]; then names=("$@"); else names=(); for d in "$cases"/*/; do names+=("$(basename "$d")"); done; fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failed=0
for name in "${names[@]}"; do
  dir="$cases/$name"
  [ -f "$dir/prompt.prompt" ] || { echo "regen-differential: $name: no prompt.prompt" >&2; failed=1; continue; }
  args=("$dir/prompt.prompt")
  [ -f "$dir/stdin" ] && args=(-)
  [ -f "$dir/data.json" ] && args+=("$dir/data.json")
  [ -f "$dir/options.json" ] && args+=(--options "$dir/options.json")
  [ -d "$dir/partials" ] && args+=(--partials "$dir/partials")
  [ -f "$dir/schemas.json" ] && args+=(--schemas "$dir/schemas.json")
  [ -f "$dir/metadata" ] && args+=(--metadata)
  input=/dev/null
  [ -f "$dir/stdin" ] && input="$dir/prompt.prompt"
  if ! "$ref" "${args[@]}" <"$input" >"$tmp/out" 2>"$tmp/err"; then
    echo "regen-differential: $name: the reference failed:" >&2; head -5 "$tmp/err" >&2; failed=1; continue
  fi
  if [ -s "$tmp/err" ]; then
    echo "regen-differential: $name: the reference wrote to stderr:" >&2; head -5 "$tmp/err" >&2; failed=1; continue
  fi
  cp "$tmp/out" "$dir/expected.json"
done
echo "regen-differential: ${#names[@]} case(s) processed"
exit $failed
