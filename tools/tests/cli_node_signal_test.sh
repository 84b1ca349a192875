#!/usr/bin/env bash
# System test: `node` runs from a TOML file and stops cleanly (exit 0) on SIGTERM.
set -uo pipefail
cli=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '[node]\nname = "a"\ndata_dir = "%s"\n' "$dir/a" >"$dir/node.toml"
"$cli" node --config "$dir/node.toml" >"$dir/out.txt" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q 'SHA256:' "$dir/out.txt" 2>/dev/null && break
  sleep 0.1
done
kill -TERM "$pid"
timeout 10 tail --pid="$pid" -f /dev/null
wait "$pid"
rc=$?
[ "$rc" = 0 ] || { echo "exit code $rc after SIGTERM"; cat "$dir/out.txt"; exit 1; }
echo "cli node signal: ok"
