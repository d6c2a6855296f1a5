#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing, builds with
# ASan+UBSan and -Werror, runs every ctest test, then the libFuzzer targets for a short while.
#   scripts/test.sh            everything
#   RS_FUZZ_SECONDS=0 scripts/test.sh   skip the fuzzing step
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DRS_SANITIZE=ON -DRS_WERROR=ON -DRS_BENCH=OFF >/dev/null
cmake --build build-test -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
set +e
(cd build-test && ctest --output-on-failure -j "$jobs" --timeout 600) | tee build-test/ctest.log
ctest_rc=${PIPESTATUS[0]}
fuzz_rc=0
rm -f build-test/fuzz.log
if [ "${RS_FUZZ_SECONDS:-default}" != 0 ]; then
  scripts/fuzz.sh | tee build-test/fuzz.log
  fuzz_rc=${PIPESTATUS[0]}
fi
set -e
# One closing line for the whole suite: ctest's tests plus the fuzz targets.
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' build-test/ctest.log | tail -1)
failed=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' build-test/ctest.log | tail -1)
fuzz_ok=$(grep -c '^fuzz: .* ok,' build-test/fuzz.log 2>/dev/null || true)
fuzz_bad=$(grep -c '^fuzz: .* FAILED' build-test/fuzz.log 2>/dev/null || true)
passed=$(( ${total:-0} - ${failed:-0} + ${fuzz_ok:-0} ))
echo "suite: $passed passed, $(( ${failed:-0} + ${fuzz_bad:-0} )) failed"
[ "$ctest_rc" -eq 0 ] && [ "$fuzz_rc" -eq 0 ]
