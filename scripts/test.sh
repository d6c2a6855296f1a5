#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing, builds with
# ASan+UBSan and -Werror, runs every ctest test, then the libFuzzer targets for a short while.
#   scripts/test.sh            everything
#   RS_FUZZ_SECONDS=0 scripts/test.sh   skip the fuzzing step
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DRS_SANITIZE=ON -DRS_WERROR=ON -DRS_BENCH=OFF >/dev/null
cmake --build build-test -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-test && ctest --output-on-failure -j "$jobs" --timeout 600)
if [ "${RS_FUZZ_SECONDS:-default}" != 0 ] && [ -x scripts/fuzz.sh ]; then
  scripts/fuzz.sh
fi
