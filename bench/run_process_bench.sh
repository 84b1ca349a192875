#!/usr/bin/env bash
# The process-messaging benchmark with same-run references (opt-in; not part of the tests).
#   bench/run_process_bench.sh [runs=5]
# Each run: process_bench server + client in two OS processes on 127.0.0.1, then the raw TCP
# 64 B ping-pong reference. Once per report: Erlang/OTP distribution over TCP and over TLS
# (../shared/reference-bench/erlang; skipped with a message when `erl` is missing - install
# erlang-base erlang-ssl erlang-public-key erlang-crypto erlang-asn1 to include it).
# Prints "name median min max unit n=<runs>" per metric, then the ratios. A failed or timed-out
# run prints why (with the output received so far) and adds nothing to the medians; the script
# then exits with status 1.
# Env: REFERENCE_BENCH (default ../shared/reference-bench), BUILD_DIR, BENCH_CALLS, BENCH_N64,
# BENCH_N4K, ERLANG_RUNS (default 3).
set -euo pipefail
runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
ref=${REFERENCE_BENCH:-$root/../shared/reference-bench}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBARREL_TESTS=OFF >/dev/null
cmake --build "$build" --target process_bench >/dev/null
gcc -O2 -o "$out/tcp_pingpong" "$ref/raw/tcp_pingpong.c"

# shellcheck source=bench/bench_pair.sh
. "$root/bench/bench_pair.sh"

failures=0
touch "$out/ours.txt" "$out/tcp.txt"
for i in $(seq "$runs"); do
  echo "run $i/$runs" >&2
  if run_pair "$build/bench/process_bench" 600 "$out/run.txt"; then
    grep -v '^warmup' "$out/run.txt" >>"$out/ours.txt" || true
  else
    failures=$((failures + 1))
  fi
  rm -f "$out/run.txt"
  "$out/tcp_pingpong" 20000 2000 64 >>"$out/tcp.txt" ||
    { echo "FAILED: tcp_pingpong reference (run $i)" >&2; failures=$((failures + 1)); }
done

if command -v erl >/dev/null && command -v erlc >/dev/null; then
  echo "erlang distribution (tcp, tls)" >&2
  OUTDIR="$out/erl" BUILD="$out/erl-build" "$ref/erlang/run.sh" "${ERLANG_RUNS:-3}" "tcp tls" \
    >"$out/erlang.txt" 2>"$out/erlang.err" ||
    { echo "FAILED: Erlang reference:" >&2; tail -n 20 "$out/erlang.err" >&2; failures=$((failures + 1)); }
else
  echo "erl not installed: Erlang reference skipped" >&2
fi

cat "$out"/ours.txt "$out"/tcp.txt | python3 "$ref/agg.py" | tee "$out/agg.txt"
if [ -s "$out/erlang.txt" ]; then grep -v '^#' "$out/erlang.txt" | tee -a "$out/agg.txt"; fi
# call_rtt is in us, the references in ns
specs=(call_p50_vs_tcp_pingpong:call_rtt_64B_p50:tcp_pingpong_rtt_p50:1000
  call_p99_vs_p50:call_rtt_64B_p99:call_rtt_64B_p50
  oneway_16pairs_vs_one_pair:oneway_64B_16pairs_rate:oneway_64B_rate)
for mode in tcp tls; do
  specs+=("call_p50_vs_erlang_$mode:call_rtt_64B_p50:erl_dist_${mode}_call_rtt_p50:1000"
    "oneway_64B_vs_erlang_$mode:oneway_64B_rate:erl_dist_${mode}_oneway_64B_rate"
    "oneway_4KiB_vs_erlang_$mode:oneway_4KiB_tput:erl_dist_${mode}_oneway_4KiB_tput")
done
python3 "$root/bench/ratios.py" "$out/agg.txt" "${specs[@]}"
if [ "$failures" -ne 0 ]; then
  echo "FAILED: $failures of the runs above failed (details above); medians cover the rest" >&2
  exit 1
fi
