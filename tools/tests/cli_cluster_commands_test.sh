#!/usr/bin/env bash
# System test of the Serf-style commands against three node processes on loopback: `join`
# forms the cluster, `members` (table and JSON) and `info` show it, `services` lists what
# `node --service` registered on another node, `broadcast` reaches the others, `monitor` prints the membership events, `leave` takes a node out; bad input exits 2,
# an unreachable or refusing endpoint 1, and a monitor whose node stops 1. Every wait is
# bounded.
set -uo pipefail
cli=$1
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "cli cluster commands: $1"
  for n in a b c; do
    echo "--- $n.log"
    cat "$dir/$n.log" 2>/dev/null
  done
  exit 1
}
# expect STATUS WHAT COMMAND...: runs COMMAND (output in $dir/last.txt) and checks its status.
expect() {
  local want=$1 what=$2
  shift 2
  "$@" >"$dir/last.txt" 2>&1
  local rc=$?
  [ "$rc" = "$want" ] || fail "$what: exit $rc, not $want: $(cat "$dir/last.txt")"
}
# eventually WHAT COMMAND...: retries COMMAND every 0.1 s, at most 100 times (10 s).
eventually() {
  local what=$1
  shift
  for _ in $(seq 100); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "timed out waiting for $what"
}
start() {  # start NAME [options...]
  local name=$1
  shift
  printf '[node]\nname = "%s"\ndata_dir = "%s/%s"\n' "$name" "$dir" "$name" >"$dir/$name.toml"
  "$cli" node --config "$dir/$name.toml" --admin 127.0.0.1:0 --admin-file "$dir/$name.admin" \
    "$@" >"$dir/$name.log" 2>&1 &
  pids+=($!)
  eventually "$name's admin file" test -s "$dir/$name.admin"
}

start a
start b --subscribe news
start c --subscribe news --service demo.echo --service demo.other
# The first events of a, from its first one on, for the checks after the joins.
"$cli" monitor --admin-file "$dir/a.admin" --since 0 --count 2 >"$dir/monitor.txt" 2>&1 &
monitor=$!
a_udp=$("$cli" members --admin-file "$dir/a.admin" --format json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["node"]["address"])') ||
  fail "members --format json"

expect 0 "join" "$cli" join --admin-file "$dir/b.admin" "$a_udp"
grep -qx "joining through $a_udp" "$dir/last.txt" || fail "join said: $(cat "$dir/last.txt")"
expect 0 "join" "$cli" join --connect "$(cat "$dir/c.admin")" "$a_udp"
eventually "b and c in a's active view" bash -c \
  "'$cli' members --admin-file '$dir/a.admin' | grep -q '^b .* active$' &&
   '$cli' members --admin-file '$dir/a.admin' | grep -q '^c .* active$'"

expect 0 "members" "$cli" members --admin-file "$dir/a.admin"
head -1 "$dir/last.txt" | grep -q '^NAME  *ADDRESS  *STATUS$' || fail "no header: $(cat "$dir/last.txt")"
grep -q "^a  *$a_udp  *self$" "$dir/last.txt" || fail "no self row: $(cat "$dir/last.txt")"
expect 0 "members --format json" "$cli" members --admin-file "$dir/a.admin" --format json
python3 -c 'import json, sys; m = json.load(open(sys.argv[1]));
assert sorted(n["name"] for n in m["active"]) == ["b", "c"], m' "$dir/last.txt" ||
  fail "members JSON: $(cat "$dir/last.txt")"

expect 0 "info" "$cli" info --admin-file "$dir/a.admin"
grep -q '^  name = a$' "$dir/last.txt" || fail "info: $(cat "$dir/last.txt")"
grep -q '^  active_view = 2$' "$dir/last.txt" || fail "info: $(cat "$dir/last.txt")"
grep -q '^  auth_succeeded = ' "$dir/last.txt" || fail "info: $(cat "$dir/last.txt")"
expect 0 "info --format json" "$cli" info --admin-file "$dir/a.admin" --format json
python3 -c 'import json, sys; i = json.load(open(sys.argv[1]));
assert set(i) == {"members", "health", "stats"} and i["health"]["joined"], i' "$dir/last.txt" ||
  fail "info JSON: $(cat "$dir/last.txt")"

# c's services replicate to a; `services` lists them, filtered by prefix.
eventually "c's services on a" bash -c \
  "'$cli' services --admin-file '$dir/a.admin' | grep -q '^demo.other  *c  *<.*>  *-$'"
expect 0 "services" "$cli" services --admin-file "$dir/a.admin"
head -1 "$dir/last.txt" | grep -q '^NAME  *NODE  *PID  *METADATA$' || fail "services: $(cat "$dir/last.txt")"
grep -q '^demo.echo  *c  *<.*>  *-$' "$dir/last.txt" || fail "services: $(cat "$dir/last.txt")"
expect 0 "services --prefix" "$cli" services --admin-file "$dir/a.admin" --prefix demo.e
[ "$(wc -l <"$dir/last.txt")" = 2 ] && grep -q '^demo.echo ' "$dir/last.txt" ||
  fail "services --prefix demo.e: $(cat "$dir/last.txt")"
expect 0 "services --format json" "$cli" services --admin-file "$dir/a.admin" --format json
python3 -c 'import json, sys; s = json.load(open(sys.argv[1]));
assert [x["name"] for x in s["services"]] == ["demo.echo", "demo.other"], s
assert all(i["node"] == "c" for x in s["services"] for i in x["instances"]), s' "$dir/last.txt" ||
  fail "services JSON: $(cat "$dir/last.txt")"
expect 0 "services --prefix (none)" "$cli" services --admin-file "$dir/a.admin" --prefix "zz z&"
[ "$(wc -l <"$dir/last.txt")" = 1 ] || fail "services --prefix 'zz z&': $(cat "$dir/last.txt")"

# rtt: the path statistics of a's link to b.
expect 0 "rtt" "$cli" rtt --admin-file "$dir/a.admin" b
grep -Eq '^a -> b: rtt [0-9]+\.[0-9]{3} ms \(min [0-9.]+ ms, latest [0-9.]+ ms, variance [0-9.]+ ms\), ping [0-9]+\.[0-9]{3} ms$' \
  "$dir/last.txt" || fail "rtt: $(cat "$dir/last.txt")"
grep -Eq '^  path 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:[0-9]+ \(dialed (here|by the peer)\), cwnd [0-9]+ B' \
  "$dir/last.txt" || fail "rtt path: $(cat "$dir/last.txt")"
expect 0 "rtt --format json" "$cli" rtt --admin-file "$dir/a.admin" b --format json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
assert r["peer"] == "b" and r["path"]["smoothed_rtt_us"] > 0 and r["ping_us"] > 0, r' "$dir/last.txt" ||
  fail "rtt JSON: $(cat "$dir/last.txt")"
expect 1 "rtt to a node without a link" "$cli" rtt --admin-file "$dir/a.admin" nobody
grep -q "HTTP status 404" "$dir/last.txt" || fail "rtt nobody said: $(cat "$dir/last.txt")"

expect 0 "broadcast" "$cli" broadcast --admin-file "$dir/a.admin" news "hello from a"
grep -qx "broadcast 12 bytes under news" "$dir/last.txt" || fail "broadcast said: $(cat "$dir/last.txt")"
eventually "b and c logging the broadcast" bash -c \
  "grep -q 'broadcast news from a (.*): hello from a' '$dir/b.log' &&
   grep -q 'broadcast news from a (.*): hello from a' '$dir/c.log'"

timeout 10 tail --pid="$monitor" -f /dev/null
wait "$monitor" || fail "monitor --count 2 exited $?: $(cat "$dir/monitor.txt")"
[ "$(wc -l <"$dir/monitor.txt")" = 2 ] || fail "monitor printed: $(cat "$dir/monitor.txt")"
grep -Eq '^[0-9-]{10}T[0-9:.]{12}Z neighbor_up [bc] 127\.0\.0\.1:[0-9]+$' "$dir/monitor.txt" ||
  fail "monitor printed: $(cat "$dir/monitor.txt")"

expect 0 "leave" "$cli" leave --admin-file "$dir/c.admin"
grep -qx "left the cluster" "$dir/last.txt" || fail "leave said: $(cat "$dir/last.txt")"
eventually "c gone from a's active view" bash -c \
  "! '$cli' members --admin-file '$dir/a.admin' | grep -q '^c .* active$'"

# Errors and exit statuses.
expect 2 "join with a bad address" "$cli" join --admin-file "$dir/a.admin" nonsense
grep -q "HTTP status 400" "$dir/last.txt" || fail "join said: $(cat "$dir/last.txt")"
expect 2 "members without an endpoint" "$cli" members
expect 2 "members --format xml" "$cli" members --admin-file "$dir/a.admin" --format xml
expect 2 "services --format xml" "$cli" services --admin-file "$dir/a.admin" --format xml
printf '[node]\nname = "d"\ndata_dir = "%s/d"\n' "$dir" >"$dir/d.toml"
expect 2 "node --service with an empty name" timeout 10 "$cli" node --config "$dir/d.toml" --service ""
grep -q -- '--service : registry: name must be' "$dir/last.txt" || fail "node said: $(cat "$dir/last.txt")"
expect 2 "broadcast without a message" "$cli" broadcast --admin-file "$dir/a.admin" news
expect 1 "members from a missing admin file" "$cli" members --admin-file "$dir/none.admin"
"$cli" monitor --admin-file "$dir/b.admin" >"$dir/monitor-b.txt" 2>&1 &
monitor=$!
sleep 0.5  # the monitor connects; if not yet, it fails to connect: exit 1 either way
kill -TERM "${pids[1]}"
timeout 10 tail --pid="${pids[1]}" -f /dev/null
timeout 10 tail --pid="$monitor" -f /dev/null
wait "$monitor"
rc=$?
[ "$rc" = 1 ] || fail "monitor of a stopped node exited $rc: $(cat "$dir/monitor-b.txt")"
expect 1 "members of a stopped node" "$cli" members --admin-file "$dir/b.admin"
for i in 0 1 2; do
  kill -TERM "${pids[$i]}" 2>/dev/null
  timeout 10 tail --pid="${pids[$i]}" -f /dev/null
  wait "${pids[$i]}"
  rc=$?
  [ "$rc" = 0 ] || fail "node $i exited $rc after SIGTERM"
done
pids=()
echo "cli cluster commands: ok"
