#!/usr/bin/env bash
# Makes the upgrade fixture tests/data/upgrade/0.1.0/: a small pipeline (its ecompipe.yaml, state
# store and SQLite warehouse; the bucket is left out) written by the ecompipe binary given, so
# that e2e.test_upgrade can check that a newer binary opens it, brings its schemas forward and
# loses no row. Run it with the binary of the release whose format the fixture keeps, and commit
# what it writes:
#   tests/data/upgrade/make_fixture.sh build/ecompipe tests/data/upgrade/0.1.0
# Deterministic input (fixed seed and dates); the ids and times inside differ per run.
set -euo pipefail
bin=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
data=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" init "$work/p" >/dev/null
cd "$work/p"
"$bin" load-dims --products "$data/products.csv" --customers "$data/customers.csv" >/dev/null
"$bin" generate --to-bucket --days 2 --rows 40 --invalid-rate 0.1 --seed 18 --date 2026-11-25 \
  >/dev/null
"$bin" process -q >/dev/null || true  # exit 2 when a run failed its gate: still a fixture
"$bin" --version | head -2 > VERSION
rm -rf "${out:?}"
mkdir -p "$out/.ecompipe"
cp ecompipe.yaml warehouse.db VERSION "$out/"
cp .ecompipe/state.db "$out/.ecompipe/"
[ -f notifications.jsonl ] && cp notifications.jsonl "$out/"
for db in "$out/warehouse.db" "$out/.ecompipe/state.db"; do
  echo "$db:"
  sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type='table' ORDER BY 1" | while read -r t; do
    echo "  $t $(sqlite3 "$db" "SELECT count(*) FROM \"$t\"")"
  done
done
