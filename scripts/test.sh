#!/usr/bin/env bash
# Sets up, builds and runs every test: unit tests, then whole-pipeline tests on the real binary.
# A private PostgreSQL server (scripts/pg-test-server.sh) runs for the duration; tests find it
# in EP_TEST_PG_URL. Tests that stop and start a server mid-run start their own.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
EP_TEST_PG_URL=$(scripts/pg-test-server.sh start)
export EP_TEST_PG_URL
# EP_TEST_CLOCK="2027-12-31 23:59:59" runs the tests and the servers they start with the wall
# clock set to that moment (and running on from it): libfaketime with one fixed offset shared by every
# process, so the tests prove they do not depend on the day they run. Monotonic clocks and
# file times stay real (timed waits and mtimes would break otherwise); tests/clock/ explains the
# small library preloaded first. PostgreSQL servers keep the real clock (scripts/pg-test-server.sh).
if [ -n "${EP_TEST_CLOCK:-}" ]; then
  target=$(date -u -d "$EP_TEST_CLOCK" +%s)
  offset=$((target - $(date -u +%s)))
  export LD_PRELOAD="$PWD/build/tests/libep_test_monotonic_sleep.so:/usr/lib/$(gcc -print-multiarch)/faketime/libfaketime.so.1${LD_PRELOAD:+:$LD_PRELOAD}"
  export FAKETIME="$( ((offset < 0)) && echo "$offset" || echo "+$offset")"
  export FAKETIME_DONT_FAKE_MONOTONIC=1 NO_FAKE_STAT=1 DONT_FAKE_MONOTONIC=1
  echo "Tests run at a fixed clock: $(date -u '+%Y-%m-%d %H:%M:%S UTC') (offset ${FAKETIME} s)"
fi
# A test whose server software (aiosmtpd, moto, PostgreSQL) is missing fails here rather than skips.
export EP_TEST_REQUIRE_SERVERS=1
root=$(pwd)
trap '"$root/scripts/pg-test-server.sh" stop' EXIT
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
