#!/usr/bin/env bash
# Checks barrel_p2p as a program outside this repository uses it (issue 13, deliverable 1):
#   1. installs a finished build into a temporary prefix (cmake --install) and checks the
#      layout: library, public headers only, package files, docs, `barrel-p2p --version`;
#   2. builds examples/*.cpp and tests/install/consumer_check.cpp as an outside CMake project
#      with find_package(barrel_p2p MAJOR.MINOR) (tests/install/CMakeLists.txt);
#   3. builds the same programs through pkg-config (tests/install/Makefile);
#   4. configures tests/install/subdirectory, which uses the repository through
#      add_subdirectory(): no test may be registered, and consumer_check.cpp must compile with
#      the public target's flags (it fails on a src/ include path or spdlog's definitions);
# and runs consumer_check (headers and library agree on the version), `two_nodes both` (two
# nodes on loopback, exits by itself) and `udp_relay demo` (a link through the example relay)
# from steps 2 and 3.
#
# Usage: scripts/check-install.sh [BUILD_DIR]   (default build-ci; the build must be complete)
# JOBS sets the build parallelism (default: nproc). Prints one line per step; exits non-zero
# on the first failure, keeping the temporary folder for inspection.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build-ci}" && pwd)
jobs=${JOBS:-$(nproc)}
work=$(mktemp -d /tmp/barrel-install.XXXXXX)
prefix=$work/prefix
trap 'echo "check-install: FAILED (files kept in $work)" >&2' ERR

fail() {
  echo "check-install: $* (files kept in $work)" >&2
  exit 1
}

# 1. Install and check the layout.
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
version=$(sed -n 's/^#define BARREL_P2P_VERSION "\(.*\)"$/\1/p' \
  "$prefix/include/barrel_p2p/version.hpp")
[ -n "$version" ] || fail "no BARREL_P2P_VERSION in the installed version.hpp"
libdir=$(dirname "$(find "$prefix" -name libbarrel_p2p.a | head -n 1)")
[ -f "$libdir/libbarrel_p2p.a" ] || fail "libbarrel_p2p.a was not installed"
for file in "$libdir/cmake/barrel_p2p/barrel_p2pConfig.cmake" \
  "$libdir/cmake/barrel_p2p/barrel_p2pConfigVersion.cmake" "$libdir/pkgconfig/barrel_p2p.pc" \
  "$prefix/share/doc/barrel_p2p/docs/getting-started.md" "$prefix/include/barrel_p2p/node.hpp"; do
  [ -f "$file" ] || fail "$file was not installed"
done
extra=$(find "$prefix/include" -type f ! -path "$prefix/include/barrel_p2p/*.hpp")
[ -z "$extra" ] || fail "installed headers outside include/barrel_p2p: $extra"
[ "$(find "$prefix/include/barrel_p2p" -name '*.hpp' | wc -l)" -eq \
  "$(($(find "$root/include/barrel_p2p" -name '*.hpp' | wc -l) + 1))" ] ||
  fail "include/barrel_p2p differs from the repository's public headers plus version.hpp"
[ "$(find "$libdir" -name '*.a' | wc -l)" -eq 1 ] || fail "more than one archive installed"
reported=$("$prefix/bin/barrel-p2p" --version)
[ "$reported" = "barrel-p2p $version" ] || fail "barrel-p2p --version printed '$reported'"
echo "check-install: installed barrel_p2p $version into $prefix"

run_programs() {  # run_programs <dir> <how>
  "$1/consumer_check" >"$work/$2-consumer.log" || fail "$2: consumer_check failed"
  timeout 60 "$1/two_nodes" both "$work/$2-data" >"$work/$2-two_nodes.log" 2>&1 ||
    fail "$2: two_nodes both failed (log: $work/$2-two_nodes.log)"
  grep -q "greeter still up" "$work/$2-two_nodes.log" || fail "$2: two_nodes did not finish"
  timeout 60 "$1/udp_relay" demo "$work/$2-relay-data" >"$work/$2-udp_relay.log" 2>&1 ||
    fail "$2: udp_relay demo failed (log: $work/$2-udp_relay.log)"
}

# 2. find_package(barrel_p2p MAJOR.MINOR) from an outside project.
cmake -S "$root/tests/install" -B "$work/find" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DBARREL_P2P_REQUEST="${version%.*}" >"$work/find-configure.log"
cmake --build "$work/find" -j "$jobs" >"$work/find-build.log"
run_programs "$work/find" find_package
echo "check-install: find_package(barrel_p2p ${version%.*}): examples built and run"

# 3. pkg-config.
mkdir -p "$work/pkg-config"
[ "$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --modversion barrel_p2p)" = "$version" ] ||
  fail "pkg-config reports another version than $version"
PKG_CONFIG_PATH="$libdir/pkgconfig" make -s -C "$work/pkg-config" -j "$jobs" \
  -f "$root/tests/install/Makefile" CXXFLAGS=-O1 >"$work/pkg-config-build.log"
run_programs "$work/pkg-config" pkg-config
echo "check-install: pkg-config barrel_p2p: examples built and run"

# 4. add_subdirectory(): configure only, then compile the consumer's one object.
cmake -S "$root/tests/install/subdirectory" -B "$work/subdirectory" -G Ninja \
  -DBARREL_P2P_SOURCE_DIR="$root" >"$work/subdirectory-configure.log"
tests=$(ctest --test-dir "$work/subdirectory" -N | sed -n 's/^Total Tests: //p')
[ "$tests" = 0 ] || fail "add_subdirectory registered $tests of barrel_p2p's tests"
object=$(ninja -C "$work/subdirectory" -t targets all | grep -o '^[^:]*consumer_check\.cpp\.o')
ninja -C "$work/subdirectory" "$object" >"$work/subdirectory-build.log"
echo "check-install: add_subdirectory(): no tests registered, public target leaks nothing"

rm -rf "$work"
echo "check-install: passed"
