#!/usr/bin/env bash
# Installs dependencies (Debian 12, as root), builds barrel-p2p and runs the local demo cluster.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBARREL_TESTS=OFF -DBARREL_BENCH=OFF >/dev/null
cmake --build "$root/build" --target barrel-p2p
exec "$root/build/tools/barrel-p2p" demo "$@"
