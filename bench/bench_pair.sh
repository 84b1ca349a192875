# Shared by the run_*_bench.sh scripts (sourced, not run): one server + client pair of a
# bench program, failing loudly.
#
#   run_pair <binary> <timeout-seconds> <results-file> [<mode-prefix>]
#
# Starts "<binary> <mode-prefix>server <dir>", reads its "address <host:port>" line, runs
# "<binary> <mode-prefix>client <dir> <address>" under `timeout`, then closes the server's
# stdin. <mode-prefix> is empty by default ("pair-" gives "pair-server" and "pair-client"). The
# client's output is appended to <results-file> only when both sides succeed, so a failed run
# never adds partial figures to the medians. On failure it prints what went wrong (the exit
# status, a timeout, the output received so far, both programs' stderr) and returns 1.

run_pair() {
  local binary=$1 limit=$2 results=$3 prefix=${4:-}
  local dir
  dir=$(mktemp -d)
  mkfifo "$dir/fifo"
  "$binary" "${prefix}server" "$dir/server" >"$dir/server.out" 2>"$dir/server.err" <"$dir/fifo" &
  local server_pid=$!
  # The server serves until its stdin closes: keep a writer open on the fifo until the end.
  exec {server_stdin}>"$dir/fifo"
  local address="" waited=0
  while [ -z "$address" ] && [ "$waited" -lt 300 ] && kill -0 "$server_pid" 2>/dev/null; do
    address=$(awk '$1 == "address" { print $2; exit }' "$dir/server.out")
    [ -n "$address" ] || { sleep 0.1; waited=$((waited + 1)); }
  done
  local status=0
  if [ -z "$address" ]; then
    echo "FAILED: $(basename "$binary") ${prefix}server printed no address within 30 s" >&2
    status=1
  else
    timeout "$limit" stdbuf -oL "$binary" "${prefix}client" "$dir/client" "$address" \
      >"$dir/client.out" 2>"$dir/client.err" || status=$?
    if [ "$status" -eq 124 ]; then
      echo "FAILED: $(basename "$binary") ${prefix}client timed out after $limit s" >&2
    elif [ "$status" -ne 0 ]; then
      echo "FAILED: $(basename "$binary") ${prefix}client exited with status $status" >&2
    fi
  fi
  exec {server_stdin}>&-
  local server_status=0
  wait "$server_pid" || server_status=$?
  if [ "$server_status" -ne 0 ] && [ "$status" -eq 0 ]; then
    echo "FAILED: $(basename "$binary") ${prefix}server exited with status $server_status" >&2
    status=1
  fi
  if [ "$status" -ne 0 ]; then
    echo "--- client output so far:" >&2
    cat "$dir/client.out" >&2 2>/dev/null || true
    echo "--- client stderr:" >&2
    tail -n 40 "$dir/client.err" >&2 2>/dev/null || true
    echo "--- server stderr:" >&2
    tail -n 40 "$dir/server.err" >&2 2>/dev/null || true
    rm -rf "$dir"
    return 1
  fi
  cat "$dir/client.out" >>"$results"
  rm -rf "$dir"
}
