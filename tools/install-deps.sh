#!/usr/bin/env bash
# Installs callroot's build and test dependencies from Debian's packages.
# Idempotent and non-interactive: installs only what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang
  libboost-graph-dev libeigen3-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libzmq3-dev cppzmq-dev libsimdjson-dev libcli11-dev libpcap-dev libsodium-dev zlib1g-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  prometheus-cpp-dev libcivetweb-dev libsystemd-dev systemd
  libnats-dev nats-server
  libcurl4-openssl-dev libcpp-httplib-dev openssl
  chromium
  help2man dpkg-dev file
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
