#!/usr/bin/env bash
# bench/render: Rosetta against the Dotprompt reference (npm dotprompt 1.1.2 in node), same template
# (bench/render.prompt) and data (bench/render.data.json), both in-process, three modes:
#   compile-once      compile once, render many          target: Rosetta >= 30x the reference
#   source-to-result  compile + render every time        target: Rosetta >= 300x the reference
#   source-to-result (cached compile): Rosetta's source goes through rs_prompt_cache (hash the
#                     source, find the compiled prompt, render), against the same reference
#                     figure (the reference compiles every time); the uncached row stays honest.
# Builds an optimised (-O3), sanitizer-free tree in build-bench/ (warnings not fatal there: a
# warning only -O3 shows in some other module must not stop a measurement), checks that both render the same
# result (ignoring key order), then prints the table.
#   bench/run-render.sh [SECONDS_PER_MODE]      (default 2)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
secs="${1:-2}"
build="${RS_BENCH_BUILD:-$root/build-bench}"
ref_home="${DOTPROMPT_REF_HOME:-$HOME/.cache/dotprompt-ref-1.1.2}"
ref_cmd="$root/../shared/tools/dotprompt-ref/dotprompt-ref"

# The reference installs itself on first use.
[ -d "$ref_home/node_modules/dotprompt" ] || "$ref_cmd" "$root/bench/render.prompt" >/dev/null
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRS_SANITIZE=OFF -DRS_TESTS=OFF -DRS_WERROR=OFF \
  -DRS_BENCH=ON >/dev/null
cmake --build "$build" --target bench_render -j2 >/dev/null

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$build/bench/bench_render" --print >"$tmp/ours.json"
"$ref_cmd" "$root/bench/render.prompt" "$root/bench/render.data.json" >"$tmp/ref.json"
if ! python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
     "$tmp/ours.json" "$tmp/ref.json"; then
  echo "run-render: WARNING: Rosetta's result differs from the reference's; figures below compare unequal work" >&2
  diff "$tmp/ref.json" "$tmp/ours.json" | head -20 >&2 || true
fi

"$build/bench/bench_render" --json --seconds "$secs" >"$tmp/ours.line"
node "$root/bench/render_ref.mjs" --seconds "$secs" >"$tmp/ref.line"
python3 - "$tmp/ours.line" "$tmp/ref.line" "$secs" <<'PY'
import json, sys
ours, ref, secs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
print("bench/render: bench/render.prompt + bench/render.data.json, in-process, best of 5 rounds, %s CPU-s per mode" % secs)
print("  (rates are renders per CPU-second of the measuring process, so other load on the machine does not skew them)")
print("  rosetta:   %s" % ours["impl"])
print("  reference: %s" % ref["impl"])
print()
print("  %-18s %18s %18s %10s %8s" % ("mode", "rosetta r/cpu-s", "reference r/cpu-s", "ratio", "target"))
ok = True
for key, name, target in (("compile_once", "compile-once", 30), ("source_to_result", "source-to-result", 300)):
    r = ours[key] / ref[key]
    met = r >= target
    ok = ok and met
    print("  %-18s %18s %18s %9.1fx %7s  %s" % (name, "{:,.0f}".format(ours[key]), "{:,.0f}".format(ref[key]),
                                           r, ">=%dx" % target, "met" if met else "NOT MET"))
if "source_to_result_cached" in ours:
    r = ours["source_to_result_cached"] / ref["source_to_result"]
    print("  %-18s %18s %18s %9.1fx %7s  %s" % ("  (cached compile)", "{:,.0f}".format(ours["source_to_result_cached"]),
                                           "{:,.0f}".format(ref["source_to_result"]), r, ">=300x",
                                           "met" if r >= 300 else "NOT MET"))
print("  %-18s %18.3f %18.3f" % ("us/render (once)", 1e6 / ours["compile_once"], 1e6 / ref["compile_once"]))
print("  %-18s %18.3f %18.3f" % ("us/render (full)", 1e6 / ours["source_to_result"], 1e6 / ref["source_to_result"]))
if "source_to_result_cached" in ours:
    print("  %-18s %18.3f %18.3f" % ("us/render (cached)", 1e6 / ours["source_to_result_cached"], 1e6 / ref["source_to_result"]))
PY
