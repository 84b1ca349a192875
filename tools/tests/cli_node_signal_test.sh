#!/usr/bin/env bash
# System test: `node` runs from a TOML file and stops cleanly (exit 0) on SIGTERM; with
# --log-format json every line it writes is one JSON object.
set -uo pipefail
cli=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '[node]\nname = "a"\ndata_dir = "%s"\n' "$dir/a" >"$dir/node.toml"

# run_until_term LOG [ARGS...]: starts the node with ARGS, waits (at most 10 s) until it logged
# its fingerprint, sends SIGTERM and checks it exits 0.
run_until_term() {
  local log=$1
  shift
  "$cli" node --config "$dir/node.toml" "$@" >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    grep -q 'SHA256:' "$log" 2>/dev/null && break
    sleep 0.1
  done
  kill -TERM "$pid"
  timeout 10 tail --pid="$pid" -f /dev/null
  wait "$pid"
  local rc=$?
  [ "$rc" = 0 ] || { echo "exit code $rc after SIGTERM ($*)"; cat "$log"; exit 1; }
}

run_until_term "$dir/out.txt"
# --log-format json: every line, the node's and the command's own, is one JSON object.
run_until_term "$dir/json.txt" --log-format json
python3 - "$dir/json.txt" <<'PY' || { cat "$dir/json.txt"; exit 1; }
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
assert lines and all(set(l) == {"time", "level", "logger", "msg"} for l in lines), lines
assert any(l["logger"] == "a" for l in lines), lines  # the node's own logger
assert any(l["logger"] == "barrel-p2p" and l["msg"].startswith("node a started") for l in lines)
assert any(l["msg"].startswith("received SIGTERM") for l in lines), lines
PY
"$cli" node --config "$dir/node.toml" --log-format xml >"$dir/bad.txt" 2>&1
rc=$?
[ "$rc" = 2 ] || { echo "--log-format xml: exit $rc, not 2"; cat "$dir/bad.txt"; exit 1; }
echo "cli node signal: ok"
