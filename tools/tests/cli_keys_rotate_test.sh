#!/usr/bin/env bash
# System test: `keys rotate` (decision 0023) keeps the old key pair and certificate byte for
# byte with their modes, writes the new pair and the rotation record, prints what peers must
# do, refuses while a node runs (exit 4), without an identity (1) and without a name (2), and
# the restarted node sends the record.
set -uo pipefail
cli=$1
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "$*"; exit 1; }
printf '[node]\nname = "alice"\ndata_dir = "%s"\nlisten = "127.0.0.1:0"\n[cluster]\nname = "prod"\n' \
  "$dir/a" >"$dir/a.toml"

# start_node LOG: runs the node in the background until it logged its fingerprint.
start_node() {
  "$cli" node --config "$dir/a.toml" >"$1" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    grep -q 'SHA256:' "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$1"
  fail "the node did not start"
}
stop_node() {
  kill -TERM "$pid"
  wait "$pid" || fail "the node exited $? after SIGTERM"
  pid=
}

start_node "$dir/first.log"  # creates the key pair and the TLS certificate
status=0
"$cli" keys rotate --config "$dir/a.toml" >"$dir/busy.txt" 2>&1 || status=$?
[ "$status" = 4 ] || { cat "$dir/busy.txt"; fail "rotate while the node runs exited $status, not 4"; }
grep -q "in use by another node" "$dir/busy.txt" || { cat "$dir/busy.txt"; fail "busy message"; }
stop_node

old_fingerprint=$("$cli" keys fingerprint --data-dir "$dir/a")
for file in keys/node.key keys/node.pub quic/node.crt quic/node.key; do
  cp -p "$dir/a/$file" "$dir/before.$(basename "$(dirname "$file")").$(basename "$file")"
done
"$cli" keys rotate --config "$dir/a.toml" >"$dir/out.txt" 2>&1 || { cat "$dir/out.txt"; fail "rotate failed"; }
new_fingerprint=$("$cli" keys fingerprint --data-dir "$dir/a")
[ "$old_fingerprint" != "$new_fingerprint" ] || fail "the key did not change"
for file in keys/node.key keys/node.pub quic/node.crt quic/node.key; do
  cmp -s "$dir/a/$file.old" "$dir/before.$(basename "$(dirname "$file")").$(basename "$file")" ||
    fail "$file.old is not the old $file byte for byte"
  ! cmp -s "$dir/a/$file" "$dir/a/$file.old" || fail "$file was not replaced"
done
for pair in keys/node.key:600 keys/node.key.old:600 quic/node.key:600 quic/node.key.old:600 \
  keys/node.pub:644 keys/node.pub.old:644 quic/node.crt.old:644 keys/rotation.rec:644; do
  mode=$(stat -c %a "$dir/a/${pair%%:*}")
  [ "$mode" = "${pair##*:}" ] || fail "${pair%%:*} is mode $mode, not ${pair##*:}"
done
for text in "rotated the identity of alice (cluster prod)" "rotation 1" \
  "old key:     $old_fingerprint" "new key:     $new_fingerprint" "keys/rotation.rec" \
  "certificate: replaced" "tofu mode, pinned to the old key: nothing" \
  "barrel-p2p keys trust pin alice" "alice@HOST:PORT#$old_fingerprint" \
  "replace the fingerprint with $new_fingerprint"; do
  grep -qF -- "$text" "$dir/out.txt" || { cat "$dir/out.txt"; fail "output lacks '$text'"; }
done

# The restarted node proves its new key with the record.
start_node "$dir/second.log"
grep -q "sending the rotation record .* (rotation 1, from $old_fingerprint)" "$dir/second.log" ||
  { cat "$dir/second.log"; fail "the node does not send the record"; }
stop_node
# A second rotation continues the chain; with --data-dir, --name and --cluster give the names.
"$cli" keys rotate --data-dir "$dir/a" --name alice --cluster prod >"$dir/out2.txt" 2>&1 ||
  { cat "$dir/out2.txt"; fail "second rotate failed"; }
grep -q "rotation 2" "$dir/out2.txt" || { cat "$dir/out2.txt"; fail "no rotation 2"; }

status=0
"$cli" keys rotate --data-dir "$dir/a" >"$dir/noname.txt" 2>&1 || status=$?
[ "$status" = 2 ] || { cat "$dir/noname.txt"; fail "rotate without a name exited $status, not 2"; }
status=0
"$cli" keys rotate --data-dir "$dir/empty" --name alice >"$dir/none.txt" 2>&1 || status=$?
[ "$status" = 1 ] || { cat "$dir/none.txt"; fail "rotate without an identity exited $status, not 1"; }
grep -q "keys generate" "$dir/none.txt" || { cat "$dir/none.txt"; fail "no hint to generate"; }
echo "cli keys rotate: ok"
