#!/usr/bin/env bash
# Stands in for `rosetta` by translating `render --source F [--data D] [...]` into a call of the
# reference renderer, so the differential runner can be checked against the reference itself:
#   tests/differential/run.py tests/differential/ref-as-rosetta.sh tests/differential/cases
# (every case must pass; a failure there means the runner or an expected file is wrong).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ref="${DOTPROMPT_REF:-$here/../../../shared/tools/dotprompt-ref/dotprompt-ref}"
[ "${1:-}" = render ] || { echo "ref-as-rosetta: only 'render' is supported" >&2; exit 2; }
shift
src="" data="" rest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --source) src="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --options|--partials|--schemas) rest+=("$1" "$2"); shift 2 ;;
    --metadata) rest+=("$1"); shift ;;
    *) echo "ref-as-rosetta: unsupported option $1" >&2; exit 2 ;;
  esac
done
args=("$src")
[ -n "$data" ] && args+=("$data")
exec "$ref" "${args[@]}" ${rest[@]+"${rest[@]}"}
