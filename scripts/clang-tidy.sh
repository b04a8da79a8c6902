#!/usr/bin/env bash
# Runs clang-tidy (the checks in .clang-tidy, findings are errors) over src/:
#   scripts/clang-tidy.sh             every file under src/
#   scripts/clang-tidy.sh REGEX       the files whose path matches REGEX (e.g. src/events/)
# It reads build-release/compile_commands.json, configuring the release preset first (a
# configure, not a build: clang-tidy only parses; configuring every time lists the source files
# added since the last one, which a stale compile_commands.json would skip). Opt-in: not part of
# scripts/test.sh. clang-tidy comes with scripts/install-dev-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
# -Wno-unknown-warning-option: clang does not know some of GCC's warning flags in the
# compile commands (-Wno-error=restrict), which would otherwise stop each file.
exec run-clang-tidy -quiet -p build-release -extra-arg=-Wno-unknown-warning-option \
  -j"$(nproc)" "${1:-/src/}"
