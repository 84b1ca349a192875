#!/usr/bin/env bash
# System test: three `node` processes run from TOML files; b and c name a as their contact,
# join the cluster, and a sees both as neighbours. All stop cleanly (exit 0) on SIGTERM.
set -uo pipefail
cli=$1
dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  rm -rf "$dir"
}
trap cleanup EXIT

fail() {
  echo "cli cluster: $1"
  for name in a b c; do echo "--- $name"; cat "$dir/$name.log" 2>/dev/null; done
  exit 1
}

# wait_for FILE PATTERN COUNT: until FILE has COUNT lines matching PATTERN (at most 20 s).
wait_for() {
  for _ in $(seq 200); do
    [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
    sleep 0.1
  done
  fail "no $3 x '$2' in $1"
}

start() {  # start NAME [CONTACT]
  local contacts=""
  [ $# -gt 1 ] && contacts="[membership]\ncontacts = [\"$2\"]\n"
  printf '[node]\nname = "%s"\ndata_dir = "%s"\n[cluster]\nname = "system-test"\n%b' \
    "$1" "$dir/$1" "$contacts" >"$dir/$1.toml"
  "$cli" node --config "$dir/$1.toml" >"$dir/$1.log" 2>&1 &
  pids+=($!)
}

start a
wait_for "$dir/a.log" 'listening on' 1
address=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' "$dir/a.log" | head -1)
[ -n "$address" ] || fail "no address in a's log"
start b "$address"
start c "$address"
wait_for "$dir/b.log" 'joined the cluster' 1
wait_for "$dir/c.log" 'joined the cluster' 1
wait_for "$dir/a.log" 'neighbor up: [bc] ' 2

for pid in "${pids[@]}"; do kill -TERM "$pid"; done
for pid in "${pids[@]}"; do
  timeout 10 tail --pid="$pid" -f /dev/null
  wait "$pid"
  rc=$?
  [ "$rc" = 0 ] || fail "a node exited with $rc after SIGTERM"
done
pids=()
echo "cli cluster: ok"
