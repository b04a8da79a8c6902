#!/usr/bin/env bash
# Installs the developer tools that scripts/test.sh does not need, from Debian 12's packages:
# clang-format and clang-tidy (14) for .clang-format / scripts/clang-tidy.sh, and clang 16 with
# its runtimes (libFuzzer, ASan, UBSan) for scripts/fuzz.sh. The sanitizer
# builds (scripts/sanitize.sh) use GCC's own ASan/UBSan/TSan runtimes, which build-essential
# (scripts/install-deps.sh) already brings.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
packages=(clang-format clang-tidy clang-16 libclang-rt-16-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
