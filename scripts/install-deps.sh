#!/usr/bin/env bash
# Installs every build, test, fuzz and benchmark dependency from Debian 12 packages.
# Idempotent: when every package is already present it does nothing (no apt-get update).
# Must run as root (or through sudo) on Debian 12 "bookworm".
set -euo pipefail

packages=(
  # toolchain
  build-essential g++ cmake ninja-build pkg-config git python3 curl
  clang-14 clang-format-14 clang-tidy-14 libclang-rt-14-dev llvm-14
  # QUIC + TLS + identity
  libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libsodium-dev
  # logging, CLI, config
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  # the admin endpoint of `barrel-p2p node`: HTTP server/client and JSON
  libcpp-httplib-dev nlohmann-json3-dev
  # tests (bench/ uses nothing beyond the library; GoogleTest's mocks are not used)
  libgtest-dev librapidcheck-dev
  # network-namespace system tests (netns_remerge_*: ip netns, veth, nftables drops)
  iproute2 nftables
  # reference harnesses used by bench/ (same-run ratios)
  ngtcp2-client ngtcp2-server openssl
  # the API reference (`apidocs` target, docs/api/Doxyfile.in); no graphviz: no diagrams
  doxygen
  # the live cluster page test (tools/tests/live_page_test.py drives it in headless Chromium)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
