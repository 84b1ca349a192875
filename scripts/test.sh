#!/usr/bin/env bash
# Installs dependencies (Debian 12, as root), then runs everything CI checks:
#   1. source checks: banned calls outside src/runtime, layer direction of #includes,
#      clang-format drift, clang-tidy over the sans-IO layers (build-tidy/);
#   2. fuzz targets (clang-14 + libFuzzer), each for FUZZ_SECONDS (default 30): every
#      BARREL_FUZZ_TARGETS entry of fuzz/CMakeLists.txt (fuzz_rotation_record among them);
#   3. unit + integration tests under AddressSanitizer + UBSan (build-asan/);
#   3b. the integration tests and the runtime's unit tests under ThreadSanitizer (build-tsan/);
#   4. the release build with warnings as errors (build-ci/), installed into a temporary prefix
#      and used from outside projects (find_package, pkg-config, add_subdirectory:
#      scripts/check-install.sh), the API reference (Doxygen: an undocumented public declaration
#      fails), then the whole test suite (it compiles the docs' code snippets too).
# The last step prints CTest's summary line. Any failure stops the run with a non-zero exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-30}

"$root/scripts/install-deps.sh"

echo "== source checks"
"$root/scripts/check-banned-calls.sh"
"$root/scripts/check-layers.sh"
"$root/scripts/check-format.sh"
"$root/scripts/check-tidy.sh"

echo "== fuzz targets (${fuzz_seconds}s each)"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBARREL_FUZZ=ON -DBARREL_TESTS=OFF -DBARREL_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" >/dev/null
for target in build-fuzz/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus=$(mktemp -d)
  cp -r "fuzz/corpus/${name#fuzz_}/." "$corpus/" 2>/dev/null || true
  echo "-- $name"
  "$target" -max_total_time="$fuzz_seconds" -print_final_stats=0 "$corpus" 2>&1 | tail -n 2
  rm -rf "$corpus"
done

echo "== AddressSanitizer + UBSan"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBARREL_SANITIZE=ON \
  -DBARREL_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 600 --no-label-summary

echo "== ThreadSanitizer: integration tests (real nodes, loop and worker threads)"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBARREL_TSAN=ON \
  -DBARREL_BENCH=OFF >/dev/null
cmake --build build-tsan -j "$jobs" --target link_test trust_test carrier_test process_test \
  process_os_test membership_test shared_loop_test runtime_test services_test stream_test \
  migration_test rotation_test relay_test
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build-tsan --output-on-failure -j "$jobs" --timeout 900 --no-label-summary \
  -R '^(link_test|trust_test|carrier_test|process_test|process_os_test|membership_test|shared_loop_test|runtime_test|services_test|stream_test|migration_test|rotation_test|relay_test)$'

echo "== release build, warnings as errors"
cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBARREL_WERROR=ON >/dev/null
cmake --build build-ci -j "$jobs"
echo "== install into a temporary prefix, build the examples outside the project"
JOBS="$jobs" "$root/scripts/check-install.sh" build-ci
echo "== API reference (Doxygen over include/barrel_p2p; any warning fails)"
cmake --build build-ci --target apidocs
echo "== full suite"
set +e
ctest --test-dir build-ci --output-on-failure -j "$jobs" --timeout 600 --no-label-summary \
  | tee build-ci/ctest.log
status=${PIPESTATUS[0]}
set -e
# End with CTest's summary line so the run is read correctly.
grep -E '^[0-9]+% tests passed' build-ci/ctest.log | tail -n 1
exit "$status"
