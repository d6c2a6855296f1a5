#!/usr/bin/env bash
# Regenerate the provider golden files:
#   1. tests/providers/rendered/*.json from tests/providers/prompts/*.prompt (+ NAME.data.json) with
#      the Dotprompt reference renderer (shared/tools/dotprompt-ref), so the bodies do not depend on
#      our renderer;
#   2. tests/providers/golden/<prompt>.<service>.json|.error from those with our encoders.
# Review the diff before committing: every change is a change to what we send to a provider.
#   usage: scripts/regen-golden.sh [BUILD_DIR]     (default: build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shared="${RS_SHARED_DIR:-$root/../shared}"
dir="$root/tests/providers"
if [ "${SKIP_RENDER:-0}" != 1 ]; then
  for f in "$dir"/prompts/*.prompt; do
    n="$(basename "$f" .prompt)"
    args=("$f")
    [ -f "$dir/prompts/$n.data.json" ] && args+=("$dir/prompts/$n.data.json")
    "$shared/tools/dotprompt-ref/dotprompt-ref" "${args[@]}" > "$dir/rendered/$n.json.tmp"
    mv "$dir/rendered/$n.json.tmp" "$dir/rendered/$n.json"
  done
fi
cmake --build "$build" --target providers_golden >/dev/null
rm -f "$dir"/golden/*.json "$dir"/golden/*.error
"$build/tests/providers_golden" --regen "$dir/rendered" "$dir/golden"
