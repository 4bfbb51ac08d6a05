#!/usr/bin/env bash
# Installs what building and testing Switchboard needs on Debian 12.
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libcaf-dev libboost1.81-dev libboost-system1.81-dev rapidjson-dev
  prometheus-cpp-dev catch2 libssl-dev libre2-dev libspdlog-dev
  libsqlite3-dev libcli11-dev curl
  prometheus
  clang libclang-rt-14-dev
)

# The web UI: node and npm build and test it (Debian's nodejs unless a node is
# already installed); chromium runs its browser tests.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
packages+=(chromium)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
      | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi
