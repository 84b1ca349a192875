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
echo "cli keys: ok"
