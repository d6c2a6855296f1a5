#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan+UBSan) and run each for a while on its seed corpus.
#   scripts/fuzz.sh                 every target, each for its default time
#   scripts/fuzz.sh fuzz_template   one target
#   RS_FUZZ_SECONDS=5 scripts/fuzz.sh   override the time per target
# Default times: 60 s for the template parser+renderer, 30 s for every other target (issues 2, 5).
# Crashes are saved as tests/fuzz/crash-* ; a crash fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRS_FUZZ=ON -DRS_TESTS=ON \
  -DRS_BENCH=OFF -DRS_WERROR=ON >/dev/null
targets=()
for src in tests/fuzz/fuzz_*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  if [ $# -gt 0 ] && [[ ! " $* " == *" $name "* ]]; then continue; fi
  targets+=("$name")
done
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets"; exit 0; }
cmake --build build-fuzz -j "$jobs" --target "${targets[@]}" >/dev/null
export ASAN_OPTIONS=detect_leaks=1
# One fuzzer per core at a time: the machine has few cores and CI has a time budget.
run_one() {
  local name=$1 secs=30
  [ "$name" = fuzz_template ] && secs=60
  secs=${RS_FUZZ_SECONDS:-$secs}
  local seeds="tests/fuzz/corpus/${name#fuzz_}" work
  work=$(mktemp -d)
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null || true
  if ! ./build-fuzz/tests/$name -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix=tests/fuzz/ -print_final_stats=1 "$work" > "build-fuzz/$name.log" 2>&1; then
    echo "fuzz: $name FAILED after at most ${secs}s; see build-fuzz/$name.log"
    tail -40 "build-fuzz/$name.log"
    rm -rf "$work"
    return 1
  fi
  echo "fuzz: $name ok, ${secs}s, $(grep -E '^stat::number_of_executed_units' "build-fuzz/$name.log" | awk '{print $2}') runs"
  rm -rf "$work"
}
failed=0
running=0
pids=()
for name in "${targets[@]}"; do
  run_one "$name" & pids+=($!)
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
    running=$((running - 1))
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit $failed
