#!/usr/bin/env bash
# Builds ecompipe and its tests under a sanitizer and runs them:
#   scripts/sanitize.sh asan [LABELS [CTEST-ARGS...]]
#       AddressSanitizer + UndefinedBehaviorSanitizer (and leaks); LABELS defaults to 'unit|e2e':
#       the unit tests, then the whole-pipeline tests on the instrumented binary
#   scripts/sanitize.sh tsan [LABELS [CTEST-ARGS...]]
#       ThreadSanitizer; LABELS defaults to 'unit'
# LABELS is a ctest label regex ('unit' runs the unit tests only); CTEST-ARGS are passed on
# (`scripts/sanitize.sh asan e2e -R test_pipeline` runs one e2e test file). The presets are in
# CMakePresets.json; each builds into its own build-<preset>/ (a first build is a full one).
# Only the executables the chosen tests run are built. Exits non-zero when a test fails or when
# any process, the e2e tests' ecompipe children included, wrote a sanitizer report: reports go
# to files (printed at the end), so that a child whose exit status a test does not check is
# still caught. Not part of scripts/test.sh, which stays the fast, unsanitized suite.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-}
case "$preset" in
asan) labels=${2:-unit|e2e} ;;
tsan) labels=${2:-unit} ;;
*) echo "usage: scripts/sanitize.sh asan|tsan [ctest-label-regex [ctest-args...]]" >&2; exit 64 ;;
esac
shift $(($# < 2 ? $# : 2))
build=build-$preset

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake --preset "$preset" "${launcher[@]}" >/dev/null

targets=()
for dir in tests/unit/*/; do
  if [ -n "$(find "$dir" -name '*_test.cc' -print -quit)" ]; then
    targets+=("unit_$(basename "$dir")")
  fi
done
# The whole-pipeline tests run the binary (and unit_warehouse, for the Redshift staging test).
if [[ "$labels" == *e2e* || "$labels" == *integration* ]]; then targets+=(ecompipe); fi
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

reports=$(mktemp -d "/tmp/ecompipe-$preset-reports.XXXXXX")
pg_dir=$(mktemp -d "/tmp/ecompipe-$preset-pg.XXXXXX")
cleanup() { scripts/pg-test-server.sh stop "$pg_dir" "${EP_SANITIZE_PG_PORT:-55434}"; }
trap cleanup EXIT
EP_TEST_PG_URL=$(scripts/pg-test-server.sh start "$pg_dir" "${EP_SANITIZE_PG_PORT:-55434}")
export EP_TEST_PG_URL EP_TEST_REQUIRE_SERVERS=1

# halt_on_error: the first report ends the process, so a test cannot pass over it.
# detect_stack_use_after_return catches a reference to a dead frame (a lambda capturing a local
# that is called later); strict_string_checks checks C string arguments to their terminator.
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:halt_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export TSAN_OPTIONS="log_path=$reports/tsan:halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"

rc=0
(cd "$build" && ctest --output-on-failure -j"$(nproc)" -L "$labels" "$@") || rc=$?
if compgen -G "$reports/*" >/dev/null; then
  echo "=== sanitizer reports ($reports) ==="
  for f in "$reports"/*; do echo "--- $f"; cat "$f"; done
  [ "$rc" -ne 0 ] || rc=1
else
  rmdir "$reports"
fi
if [ "$rc" -eq 0 ]; then echo "sanitize.sh $preset: labels '$labels' passed, no reports"; fi
exit "$rc"
