#!/usr/bin/env bash
# Sets up, builds and runs every test: unit tests, then whole-pipeline tests on the real binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
