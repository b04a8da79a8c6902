#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, -DEP_BUILD_FUZZ=ON, clang-16, ASan+UBSan) into build-fuzz/
# and runs each for SECONDS on its seed corpus:
#   scripts/fuzz.sh [SECONDS [TARGET...]]      (SECONDS defaults to 20; TARGET: csv_reader, ...)
# With no TARGET every fuzz/fuzz_*.cc is run, one after another. A run works on a copy of the
# committed corpus (fuzz/corpus/<what>/) in build-fuzz/corpus/, so the repository is never
# written; new inputs it found stay there, and any crash, leak, timeout or out-of-memory input
# is saved as build-fuzz/artifacts/<what>/crash-* (or leak-, timeout-, oom-). Exits non-zero
# when any target found one: reproduce with `build-fuzz/fuzz/fuzz_<what> FILE`, fix the cause,
# add a regression test and put FILE into fuzz/corpus/<what>/.
# Needs clang-16 and libclang-rt-16-dev (Debian packages; scripts/install-dev-deps.sh installs
# them when clang++-16 is missing). EP_FUZZ_JOBS sets the build's parallelism (default: nproc);
# EP_FUZZ_ARGS adds libFuzzer options (e.g. -max_len=4096).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift $(($# > 0 ? 1 : 0))
build=build-fuzz

cxx=${EP_FUZZ_CXX:-clang++-16}
cc=${EP_FUZZ_CC:-clang-16}
if ! command -v "$cxx" >/dev/null; then
  scripts/install-dev-deps.sh
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.cc; do
    name=$(basename "$f" .cc)
    targets+=("${name#fuzz_}")
  done
fi

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_C_COMPILER="$cc" -DEP_BUILD_FUZZ=ON -DEP_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" -j"${EP_FUZZ_JOBS:-$(nproc)}" --target "${targets[@]/#/fuzz_}"

failed=()
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  artifacts=$build/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  cp -n fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  dict=()
  if [ -f fuzz/"$t".dict ]; then dict=(-dict=fuzz/"$t".dict); fi
  echo "=== fuzz_$t: ${seconds}s on $(find "$corpus" -type f | wc -l) inputs"
  # -rss_limit_mb: an input that makes the code under test take 2 GB is a finding, not a
  # machine to swap; -timeout: one input taking 10 s is one too.
  # shellcheck disable=SC2086
  if ! "$build/fuzz/fuzz_$t" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
      ${EP_FUZZ_ARGS:-} >"$build/fuzz_$t.log" 2>&1; then
    failed+=("$t")
    grep -E "ERROR|FUZZ_CHECK|SUMMARY|Test unit written" "$build/fuzz_$t.log" | head -20 || true
  fi
  grep -E "^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz_$t.log" || true
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]} (inputs in $build/artifacts/, logs in $build/fuzz_*.log)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, ${seconds}s each, no findings"
