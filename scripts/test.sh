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
# A test whose server software (aiosmtpd, moto, PostgreSQL) is missing fails here rather than skips.
export EP_TEST_REQUIRE_SERVERS=1
root=$(pwd)
trap '"$root/scripts/pg-test-server.sh" stop' EXIT
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
