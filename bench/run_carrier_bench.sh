#!/usr/bin/env bash
# The carrier benchmark with same-run references (opt-in; not part of the test suite).
#   bench/run_carrier_bench.sh [runs=5]
# For each run: carrier_bench server + client in two OS processes on 127.0.0.1, then the raw
# TCP 64 B ping-pong reference; once per report: the ngtcp2 example client/server bulk
# download. Prints "name median min max unit n=<runs>" per metric, then the ratios.
# A failed or timed-out run prints why (with the output received so far) and adds nothing to
# the medians; the script then exits with status 1.
# REFERENCE_BENCH points at the reference harnesses (default: ../shared/reference-bench).
set -euo pipefail
runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
ref=${REFERENCE_BENCH:-$root/../shared/reference-bench}
bulk_bytes=${NGTCP2_BULK_BYTES:-536870912}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBARREL_TESTS=OFF >/dev/null
cmake --build "$build" --target carrier_bench >/dev/null
gcc -O2 -o "$out/tcp_pingpong" "$ref/raw/tcp_pingpong.c"
# shellcheck source=bench/bench_pair.sh
. "$root/bench/bench_pair.sh"

failures=0
touch "$out/ours.txt" "$out/tcp.txt" "$out/ngtcp2.txt"
for i in $(seq "$runs"); do
  echo "run $i/$runs" >&2
  run_pair "$build/bench/carrier_bench" 300 "$out/ours.txt" || failures=$((failures + 1))
  "$out/tcp_pingpong" 20000 2000 64 >>"$out/tcp.txt" ||
    { echo "FAILED: tcp_pingpong reference (run $i)" >&2; failures=$((failures + 1)); }
done

# ngtcp2's example client/server (Debian ngtcp2-client/-server), HTTP/3 bulk download.
if command -v gtlsserver >/dev/null && command -v gtlsclient >/dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$out/key.pem" -out "$out/cert.pem" -days 30 -subj "/CN=localhost" 2>/dev/null
  mkdir -p "$out/htdocs"
  port=${NGTCP2_PORT:-4471}
  gtlsserver -q -d "$out/htdocs" --max-dyn-length=8G 127.0.0.1 "$port" "$out/key.pem" \
    "$out/cert.pem" >/dev/null 2>&1 &
  spid=$!
  sleep 0.5
  for i in $(seq "$runs"); do
    python3 "$ref/ngtcp2/bulk_probe.py" "$port" "$spid" "$bulk_bytes" >>"$out/ngtcp2.txt" ||
      { echo "FAILED: ngtcp2 example bulk download (run $i)" >&2; failures=$((failures + 1)); }
  done
  kill "$spid" 2>/dev/null || true
else
  echo "gtlsserver/gtlsclient not installed (apt ngtcp2-server ngtcp2-client): no bulk ratio" >&2
fi

cat "$out"/ours.txt "$out"/tcp.txt "$out"/ngtcp2.txt | python3 "$ref/agg.py" | tee "$out/agg.txt"
python3 "$root/bench/ratios.py" "$out/agg.txt" \
  rtt_p50_vs_tcp_pingpong:rtt_64b_p50:tcp_pingpong_rtt_p50:1000 \
  bulk_vs_ngtcp2_examples:bulk_1mib_mb_per_s:ngtcp2_bulk_goodput_MBps \
  rtt_p99_vs_p50:rtt_64b_p99:rtt_64b_p50
