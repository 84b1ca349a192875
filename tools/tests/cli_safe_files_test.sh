#!/usr/bin/env bash
# System test: unsafe files and addresses are refused at start, each with a message naming the
# file or key and the exit code docs/reference/cli.md gives (issue 13, deliverable 2):
# a group/other-readable secret file (3, --allow-insecure-file-modes overrides), node.pub
# without node.key (3, `keys generate --force` replaces it keeping node.pub.old), a data_dir
# held by a running node (4, naming its pid), a wildcard listen address without
# membership.advertise_address (2), an unwritable --admin-file (1) and usage errors (2).
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
  echo "cli safe files: $1"
  exit 1
}
# expect CODE TEXT COMMAND...: runs the command and checks its exit code and its output.
expect() {
  local code=$1 text=$2
  shift 2
  local out rc
  out=$(timeout 20 "$@" 2>&1)
  rc=$?
  [ "$rc" = "$code" ] || fail "'$*' exited $rc, not $code: $out"
  [[ "$out" == *"$text"* ]] || fail "'$*' did not say '$text': $out"
}
config() {  # config NAME [EXTRA]: a node configuration with its own data directory
  printf '[node]\nname = "%s"\ndata_dir = "%s"\n%b' "$1" "$dir/$1" "${2:-}" >"$dir/$1.toml"
}
# A node that starts, then stops at once (SIGTERM after its start line).
starts() {
  local out="$dir/start.txt"
  "$cli" node "$@" >"$out" 2>&1 &
  local started=$!
  for _ in $(seq 100); do
    grep -q "started: cluster" "$out" && break
    kill -0 "$started" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "started: cluster" "$out" || { cat "$out"; fail "'node $*' did not start"; }
  kill -TERM "$started"
  wait "$started" || fail "'node $*' did not stop cleanly"
  cat "$out"
}

# 1. Secret files readable by group or others.
config a
starts --config "$dir/a.toml" >/dev/null
chmod 0644 "$dir/a/keys/node.key"
expect 3 "$dir/a/keys/node.key is mode 0644" "$cli" node --config "$dir/a.toml"
starts --config "$dir/a.toml" --allow-insecure-file-modes | grep -q "started anyway" ||
  fail "--allow-insecure-file-modes did not start with a warning"
chmod 0600 "$dir/a/keys/node.key"
chmod 0640 "$dir/a/quic/node.key"
expect 3 "$dir/a/quic/node.key is mode 0640" "$cli" node --config "$dir/a.toml"
chmod 0600 "$dir/a/quic/node.key"
printf 's3cret\n' >"$dir/secret"
chmod 0666 "$dir/secret"
expect 3 "$dir/secret is mode 0666" "$cli" node --config "$dir/a.toml" \
  --set cluster.secret_file="$dir/secret"
chmod 0600 "$dir/secret"
starts --config "$dir/a.toml" --set cluster.secret_file="$dir/secret" >/dev/null

# 2. node.pub without node.key: never a new identity.
old_fingerprint=$("$cli" keys fingerprint --data-dir "$dir/a")
rm "$dir/a/keys/node.key"
expect 3 "$dir/a/keys/node.pub exists without $dir/a/keys/node.key" \
  "$cli" node --config "$dir/a.toml"
expect 3 "node.pub exists without" "$cli" keys generate --data-dir "$dir/a"
[ ! -e "$dir/a/keys/node.key" ] || fail "a refused start created node.key"
expect 0 "replaced the identity" "$cli" keys generate --data-dir "$dir/a" --force
[ "$("$cli" keys fingerprint --file "$dir/a/keys/node.pub.old")" = "$old_fingerprint" ] ||
  fail "node.pub.old is not the old public key"
starts --config "$dir/a.toml" >/dev/null

# 3. One node per data_dir.
"$cli" node --config "$dir/a.toml" >"$dir/holder.txt" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q "started: cluster" "$dir/holder.txt" && break
  sleep 0.1
done
expect 4 "is in use by another node (pid $pid holds $dir/a/lock)" \
  "$cli" node --config "$dir/a.toml"
kill -TERM "$pid"
wait "$pid" || fail "the holder did not stop cleanly"
pid=""
starts --config "$dir/a.toml" >/dev/null  # the lock went with its holder

# 5. A wildcard listen address needs an advertise address.
config w 'listen = "0.0.0.0:0"\n'
expect 2 "membership.advertise_address: must be set when node.listen is the wildcard 0.0.0.0:0" \
  "$cli" node --config "$dir/w.toml"
config w6 'listen = "[::]:0"\n'
expect 2 "membership.advertise_address" "$cli" node --config "$dir/w6.toml"
starts --config "$dir/w.toml" --set membership.advertise_address=127.0.0.1:4999 >/dev/null

# 6. An unwritable --admin-file.
touch "$dir/plain"
expect 1 "--admin-file $dir/plain/admin" "$cli" node --config "$dir/a.toml" \
  --admin 127.0.0.1:0 --admin-file "$dir/plain/admin"

# 8. Usage errors exit 2.
expect 2 "" "$cli"
expect 2 "no-such-option" "$cli" node --config "$dir/a.toml" --no-such-option
expect 2 "--config is required" "$cli" node
expect 2 "" "$cli" no-such-command
expect 2 "" "$cli" keys
expect 0 "barrel-p2p" "$cli" --help
expect 0 "barrel-p2p" "$cli" --version
echo "cli safe files: ok"
