#!/usr/bin/env bash
# Fails when code outside src/runtime/ reads clocks, randomness, sleeps, starts threads or
# touches sockets (STYLE.md habit 2: time and randomness are parameters; only the runtime does
# I/O). Prints file:line: text for every hit and exits 1; exits 0 when the tree is clean.
#
# Usage: scripts/check-banned-calls.sh [repository root]   (default: this script's parent)
# Lines whose first non-space characters are // or * (comments) are skipped, as is the rest of
# a line after " //". To allow a call elsewhere, move it into src/runtime/ behind an interface.
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root"

# One Perl regular expression per banned construct.
patterns=(
  '\b(steady_clock|system_clock|high_resolution_clock)\s*::\s*now\b'
  '\bclock_gettime\b'
  '\bgettimeofday\b'
  '\btime\s*\(\s*(nullptr|NULL|0)\s*\)'
  '\brandom_device\b'
  '\b(s?rand)\s*\('
  '\brandombytes_(buf|random|uniform)\b'
  '\bthis_thread\s*::\s*sleep_(for|until)\b'
  '\b(usleep|nanosleep|sleep)\s*\('
  '\bstd\s*::\s*j?thread\b'
  '\bpthread_create\b'
  '#\s*include\s*<(thread|sys/socket\.h)>'
  '(?<![\w.>])socket\s*\('
  '(?<![\w.>])(?<!std::)bind\s*\('
  '\b(sendmsg|recvmsg|sendmmsg|recvmmsg|sendto|recvfrom)\b'
)
regex="$(IFS='|'; echo "${patterns[*]}")"

mapfile -t files < <(find src -path src/runtime -prune -o -type f \
  \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cc' -o -name '*.ipp' \) \
  -print | LC_ALL=C sort)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "check-banned-calls: no sources found under $root/src" >&2
  exit 1
fi

BANNED_REGEX="$regex" perl -ne '
  BEGIN { $re = qr/$ENV{BANNED_REGEX}/; $hits = 0; }
  next if m{^\s*(//|/?\*)};
  ($code = $_) =~ s{(^|\s)//.*$}{};
  if ($code =~ $re) { print "$ARGV:$.: $_"; $hits++; }
  close ARGV if eof;  # Restart $. for the next file.
  END {
    exit 0 unless $hits;
    print STDERR "check-banned-calls: $hits banned call(s) outside src/runtime/ (STYLE.md #2)\n";
    exit 1;
  }
' "${files[@]}"
