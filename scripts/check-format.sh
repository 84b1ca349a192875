#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what clang-format-14 would write.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if [ ${#files[@]} -eq 0 ]; then exit 0; fi
if ! clang-format-14 --dry-run --Werror "${files[@]}" 2>/tmp/format-drift.txt; then
  grep -E '^[^ ].*: (error|warning)' /tmp/format-drift.txt | cut -d: -f1 | sort -u | head -20
  echo "check-format: files above need clang-format-14 -i" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
