#!/usr/bin/env bash
# Crash torture (tests/torture/torture.py): `ecompipe serve` killed with SIGKILL at KILLS random
# moments across landing, crawl, load, commit and notification, each followed by a restart and
# an exact check of facts (against the torture's own oracle), transaction ids, the load ledger
# and notifications.
#   scripts/torture.sh [KILLS [sqlite|postgres|both [SEED]]]     (defaults: 100, both, 1)
# Runs the binary in build/ (ECOMPIPE_BIN overrides; build it first: scripts/build.sh). The
# postgres backend uses EP_TEST_PG_URL when set, else starts a private server
# (scripts/pg-test-server.sh) on EP_TORTURE_PG_PORT (default 55464) and stops it at the end.
# Each backend prints one line: kills, files, facts, runs, seconds and the kills by phase.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-100}
backend=${2:-both}
seed=${3:-1}
case "$backend" in sqlite | postgres) ;; both) backend="" ;;
*) echo "usage: scripts/torture.sh [KILLS [sqlite|postgres|both [SEED]]]" >&2; exit 64 ;;
esac
export ECOMPIPE_BIN=${ECOMPIPE_BIN:-$PWD/build/ecompipe}
[ -x "$ECOMPIPE_BIN" ] || { echo "torture.sh: no $ECOMPIPE_BIN (scripts/build.sh)" >&2; exit 69; }
if [ "$backend" != sqlite ] && [ -z "${EP_TEST_PG_URL:-}" ]; then
  port=${EP_TORTURE_PG_PORT:-55464}
  pg_dir=$(mktemp -d /tmp/ecompipe-torture-pg.XXXXXX)
  trap 'scripts/pg-test-server.sh stop "$pg_dir" "$port"' EXIT
  EP_TEST_PG_URL=$(scripts/pg-test-server.sh start "$pg_dir" "$port")
  export EP_TEST_PG_URL
fi
export EP_TORTURE_KILLS=$kills EP_TORTURE_BACKEND=$backend EP_TORTURE_SEED=$seed
export EP_TEST_DATA_DIR=$PWD/tests/data
cd tests/torture
python3 -m unittest -v torture
