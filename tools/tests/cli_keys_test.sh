#!/usr/bin/env bash
# System test: keys generate / fingerprint / trust pin, list, unpin in a temporary directory.
set -euo pipefail
cli=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printed=$("$cli" keys generate --data-dir "$dir/a")
fingerprint=$("$cli" keys fingerprint --data-dir "$dir/a")
[[ "$printed" == *"$fingerprint"* ]] || { echo "generate printed '$printed', not $fingerprint"; exit 1; }
[[ "$fingerprint" == SHA256:* ]] || { echo "bad fingerprint '$fingerprint'"; exit 1; }
[ "$(stat -c %a "$dir/a/keys/node.key")" = 600 ] || { echo "node.key is not 0600"; exit 1; }
if "$cli" keys generate --data-dir "$dir/a" >/dev/null 2>&1; then
  echo "generate overwrote an identity without --force"; exit 1
fi
"$cli" keys generate --data-dir "$dir/b" >/dev/null
"$cli" keys trust pin bob --file "$dir/b/keys/node.pub" --data-dir "$dir/a"
listed=$("$cli" keys trust list --data-dir "$dir/a")
[[ "$listed" == *"bob $("$cli" keys fingerprint --data-dir "$dir/b")"* ]] || { echo "list: $listed"; exit 1; }
"$cli" keys trust unpin bob --data-dir "$dir/a"
[ -z "$("$cli" keys trust list --data-dir "$dir/a")" ] || { echo "unpin left the pin"; exit 1; }
# keys show prints the node's own contact string, from --config or from --name/--address.
cat > "$dir/a.toml" <<EOF
[node]
name = "alice"
data_dir = "$dir/a"
listen = "127.0.0.1:4000"
EOF
shown=$("$cli" keys show --config "$dir/a.toml")
[[ "$shown" == *"contact:     alice@127.0.0.1:4000#$fingerprint"* ]] || { echo "show: $shown"; exit 1; }
shown=$("$cli" keys show --data-dir "$dir/a" --name a1 --address "[::1]:4400")
[[ "$shown" == *"contact:     a1@[::1]:4400#$fingerprint"* ]] || { echo "show: $shown"; exit 1; }
shown=$("$cli" keys show --data-dir "$dir/a")
[[ "$shown" == *"contact:     unknown"* ]] || { echo "show without a name: $shown"; exit 1; }
status=0
"$cli" keys show --data-dir "$dir/a" --name a1 --address 0.0.0.0:4000 >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || { echo "a wildcard --address exited $status, not 2"; exit 1; }
echo "cli keys: ok"
