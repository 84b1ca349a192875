#!/usr/bin/env bash
# The registry's "register on A until visible on B" benchmark across two OS processes, with
# the same-run reference (opt-in; not part of the tests).
#   bench/run_registry_bench.sh [runs=5]
# Each run: registry_bench pair-server (node B) + pair-client (node A) in two OS processes on
# 127.0.0.1 (BENCH_REGISTRATIONS fresh names, 200, after 20 warm-up ones; both read
# CLOCK_MONOTONIC, see bench/registry_bench.cpp), then registry_bench pair (the same figure
# with both nodes in one process, each on its own loop thread), then the raw TCP 64 B
# ping-pong reference. Prints "name median min max unit n=<runs>" per metric, then the
# ratios. A failed or timed-out run prints why (with the output received so far) and adds
# nothing to the medians; the script then exits with status 1.
# Env: REFERENCE_BENCH (default ../shared/reference-bench), BUILD_DIR, BENCH_REGISTRATIONS.
set -euo pipefail
runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
ref=${REFERENCE_BENCH:-$root/../shared/reference-bench}
registrations=${BENCH_REGISTRATIONS:-200}
export BENCH_REGISTRATIONS=$registrations
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBARREL_TESTS=OFF >/dev/null
cmake --build "$build" --target registry_bench >/dev/null
gcc -O2 -o "$out/tcp_pingpong" "$ref/raw/tcp_pingpong.c"

# shellcheck source=bench/bench_pair.sh
. "$root/bench/bench_pair.sh"

failures=0
touch "$out/ours.txt" "$out/one.txt" "$out/tcp.txt"
for i in $(seq "$runs"); do
  echo "run $i/$runs" >&2
  run_pair "$build/bench/registry_bench" 120 "$out/ours.txt" pair- || failures=$((failures + 1))
  if timeout 120 "$build/bench/registry_bench" pair --runs "$registrations" >"$out/run.txt" \
    2>"$out/run.err"; then
    cat "$out/run.txt" >>"$out/one.txt"
  else
    echo "FAILED: registry_bench pair (one process, run $i):" >&2
    cat "$out/run.txt" "$out/run.err" >&2
    failures=$((failures + 1))
  fi
  "$out/tcp_pingpong" 20000 2000 64 >>"$out/tcp.txt" ||
    { echo "FAILED: tcp_pingpong reference (run $i)" >&2; failures=$((failures + 1)); }
done

cat "$out"/ours.txt "$out"/one.txt "$out"/tcp.txt | python3 "$ref/agg.py" | tee "$out/agg.txt"
# the registry figures are in us, the reference in ns
python3 "$root/bench/ratios.py" "$out/agg.txt" \
  visible_2proc_p50_vs_tcp_pingpong_rtt:pair_2proc_visible_p50:tcp_pingpong_rtt_p50:1000 \
  visible_2proc_p50_vs_1proc:pair_2proc_visible_p50:pair_visible_p50 \
  visible_2proc_p99_vs_p50:pair_2proc_visible_p99:pair_2proc_visible_p50
if [ "$failures" -ne 0 ]; then
  echo "FAILED: $failures of the runs above failed (details above); medians cover the rest" >&2
  exit 1
fi
