#!/usr/bin/env bash
# Installs the Debian packages segrun builds with, when missing. As root it runs apt-get;
# otherwise it prints the exact command to run and fails.
set -euo pipefail
packages=(cmake make g++ libomp-dev doctest-dev libstb-dev nlohmann-json3-dev libcli11-dev clang-format)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "segrun: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "segrun: missing Debian packages; run:"
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  exit 1
fi
