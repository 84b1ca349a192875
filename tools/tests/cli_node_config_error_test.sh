#!/usr/bin/env bash
# System test: a configuration error stops `node` with exit code 2 and names the key.
set -uo pipefail
cli=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '[node]\nname = "a"\ndata_dir = "%s"\n[transport]\nidle_timeout_msx = 5\n' "$dir/a" >"$dir/bad.toml"
out=$("$cli" node --config "$dir/bad.toml" 2>&1)
rc=$?
[ "$rc" = 2 ] || { echo "exit code $rc, expected 2: $out"; exit 1; }
[[ "$out" == *"idle_timeout_msx"* ]] || { echo "the message does not name the key: $out"; exit 1; }
echo "cli node config error: ok"
