#!/usr/bin/env bash
# System test: `node --admin 127.0.0.1:0 --admin-file F` serves the admin endpoint; `admin`
# reads views, connections and stats from it; a non-loopback address is refused (exit 2);
# the node still stops cleanly on SIGTERM.
set -uo pipefail
cli=$1
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "cli admin: $1"
  cat "$dir/out.txt" 2>/dev/null
  exit 1
}

printf '[node]\nname = "a"\ndata_dir = "%s"\n' "$dir/a" >"$dir/node.toml"
"$cli" node --config "$dir/node.toml" --admin 10.0.0.1:7000 >"$dir/refused.txt" 2>&1
rc=$?
[ "$rc" = 2 ] || fail "a non-loopback admin address gave exit $rc, not 2"
grep -q "not a loopback address" "$dir/refused.txt" || fail "no reason given: $(cat "$dir/refused.txt")"

"$cli" node --config "$dir/node.toml" --admin 127.0.0.1:0 --admin-file "$dir/admin" \
  >"$dir/out.txt" 2>&1 &
pid=$!
for _ in $(seq 100); do
  [ -s "$dir/admin" ] && break
  sleep 0.1
done
[ -s "$dir/admin" ] || fail "no admin file"
address=$(cat "$dir/admin")
views=$("$cli" admin --connect "$address" views) || fail "admin views failed"
echo "$views" | grep -q '"node":"a","active":\[\]' || fail "unexpected views: $views"
"$cli" admin --connect "$address" connections | grep -q '"connected":\[\]' || fail "connections"
"$cli" admin --connect "$address" stats | grep -q '"peers":0' || fail "stats"
"$cli" admin --connect "$address" nonsense >/dev/null 2>&1 && fail "an unknown command was accepted"

kill -TERM "$pid"
timeout 10 tail --pid="$pid" -f /dev/null
wait "$pid"
rc=$?
pid=""
[ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
"$cli" admin --connect "$address" views >/dev/null 2>&1 && fail "the endpoint outlived the node"
echo "cli admin: ok"
