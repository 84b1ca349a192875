#!/usr/bin/env bash
# System test: `node --admin 127.0.0.1:0 --admin-file F` serves the HTTP admin endpoint;
# `admin` reads members, connections, stats, health and metrics from it; a non-loopback
# address without admin.token_file is refused (exit 2) before the node starts, a token file
# readable by others too (exit 3); with a token, `admin --token-file` is let in and a request
# without it is not; the node still stops cleanly on SIGTERM; a 200 answer that is not JSON
# (another HTTP server on the port) exits 1.
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
# Waits (at most 10 s) for the admin file $1.
wait_for_file() {
  for _ in $(seq 100); do
    [ -s "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
# Stops the node in $pid with SIGTERM; fails unless it exits 0 within 10 s.
stop_node() {
  kill -TERM "$pid"
  timeout 10 tail --pid="$pid" -f /dev/null
  wait "$pid"
  local rc=$?
  pid=""
  [ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
}

printf '[node]\nname = "a"\ndata_dir = "%s"\n' "$dir/a" >"$dir/node.toml"

# Refusals, before the node starts.
"$cli" node --config "$dir/node.toml" --admin 10.0.0.1:7000 >"$dir/refused.txt" 2>&1
rc=$?
[ "$rc" = 2 ] || fail "a non-loopback admin address without a token gave exit $rc, not 2"
grep -q "needs a bearer token (set admin.token_file)" "$dir/refused.txt" ||
  fail "no reason given: $(cat "$dir/refused.txt")"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/token"
chmod 644 "$dir/token"
"$cli" node --config "$dir/node.toml" --set admin.listen=127.0.0.1:0 \
  --set admin.token_file="$dir/token" >"$dir/refused.txt" 2>&1
rc=$?
[ "$rc" = 3 ] || fail "a token file readable by others gave exit $rc, not 3"
grep -q "is mode 0644" "$dir/refused.txt" || fail "no mode named: $(cat "$dir/refused.txt")"
chmod 600 "$dir/token"

# Without a token, on loopback.
"$cli" node --config "$dir/node.toml" --admin 127.0.0.1:0 --admin-file "$dir/admin" \
  >"$dir/out.txt" 2>&1 &
pid=$!
wait_for_file "$dir/admin" || fail "no admin file"
address=$(cat "$dir/admin")
grep -q "admin endpoint on http://$address" "$dir/out.txt" || fail "endpoint not logged"
members=$("$cli" admin --connect "$address" members) || fail "admin members failed"
grep -q '"active":\[\]' <<<"$members" || fail "unexpected members: $members"
grep -q '"node":{"address":"127.0.0.1:[0-9]*","fingerprint":"SHA256:' <<<"$members" ||
  fail "unexpected members: $members"
# Each answer is read whole before grep -q looks at it (with pipefail, grep -q leaving early
# would fail the writer with SIGPIPE).
answer=$("$cli" admin --connect "$address" connections) || fail "admin connections failed"
grep -q '"peers":\[\]' <<<"$answer" || fail "connections: $answer"
answer=$("$cli" admin --connect "$address" stats) || fail "admin stats failed"
grep -q '"peers":0' <<<"$answer" || fail "stats: $answer"
answer=$("$cli" admin --connect "$address" health) || fail "admin health failed"
grep -q '"status":"ok"' <<<"$answer" || fail "health: $answer"
answer=$("$cli" admin --connect "$address" metrics) || fail "admin metrics failed"
grep -q '^barrel_p2p_peers 0$' <<<"$answer" || fail "metrics: $answer"
"$cli" admin --connect "$address" nonsense >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || fail "an unknown resource gave exit $rc, not 2"
stop_node
"$cli" admin --connect "$address" members >/dev/null 2>&1
rc=$?
[ "$rc" = 1 ] || fail "the endpoint outlived the node (exit $rc)"

# A 200 answer that is not JSON (another HTTP server on the port) is a failure, exit 1.
mkdir -p "$dir/www/v1" && echo "<html>not a node</html>" >"$dir/www/v1/members"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$dir/www" "$port" >/dev/null 2>&1 &
web=$!
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v1/members')" \
    2>/dev/null && break
  sleep 0.1
done
"$cli" admin --connect "127.0.0.1:$port" members >"$dir/out.txt" 2>"$dir/err.txt"
rc=$?
kill "$web" 2>/dev/null
wait "$web" 2>/dev/null
[ "$rc" = 1 ] || fail "a non-JSON answer gave exit $rc, not 1"
grep -q "is not JSON" "$dir/err.txt" || fail "no reason given: $(cat "$dir/err.txt")"

# With a token (admin.listen from the file this time).
printf '[admin]\nlisten = "127.0.0.1:0"\ntoken_file = "%s"\n' "$dir/token" >>"$dir/node.toml"
rm -f "$dir/admin"
"$cli" node --config "$dir/node.toml" --admin-file "$dir/admin" >"$dir/out.txt" 2>&1 &
pid=$!
wait_for_file "$dir/admin" || fail "no admin file with a token"
address=$(cat "$dir/admin")
"$cli" admin --connect "$address" stats >"$dir/denied.txt" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "a request without the token gave exit $rc, not 1"
grep -q "HTTP status 401" "$dir/denied.txt" || fail "no 401: $(cat "$dir/denied.txt")"
answer=$("$cli" admin --connect "$address" --token-file "$dir/token" stats) ||
  fail "the token was not accepted"
grep -q '"node":"a"' <<<"$answer" || fail "stats with a token: $answer"
grep -q "$(cat "$dir/token")" "$dir/out.txt" && fail "the token is in the log"
stop_node
echo "cli admin: ok"
