#!/usr/bin/env bash
# ecompipe loading fact rows into PostgreSQL against `psql \copy` of the same rows into the
# same table, on one private PostgreSQL 15 server, in the same run.
#
#   bench/pg_load.sh [N]          N transactions (default 1000000) from ../shared/peers/gen.py
#
# For each of RUNS (default 1) rounds, into fresh schemas of the same server:
#   ecompipe  timed: `ecompipe put` of transactions.csv, then `ecompipe process` (landing to
#             commit: read, validate, join, classify, COPY facts and rejects, ledger, commit).
#             Untimed before it: a fresh pipeline with warehouse.type postgres, load-dims.
#   \copy     the fact rows ecompipe loaded, exported once as a text file (untimed), then timed:
#             `psql -c "\copy fact_transactions FROM file"` into an empty table made with
#             CREATE TABLE ... (LIKE ecompipe's INCLUDING ALL): same columns, keys and indexes.
# Both tables must end with the same row count and the same exact SUM(total_amount).
# Environment: ECOMPIPE=… (the binary; as bench/run.sh, default build-perf/ecompipe, else
# build/ecompipe; it is printed, so a stale build is seen), BENCH_DIR=/tmp/ecompipe-bench (the data), RUNS=1,
# PG_DIR=$BENCH_DIR/pg-load-server, PG_PORT=55490 (the private server, thrown away at the end). The server runs with the test settings (fsync off; scripts/pg-test-server.sh).
# INDEX_REBUILD=auto|always|never: ecompipe's warehouse.index_rebuild (default: the default, auto).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-1000000}
RUNS=${RUNS:-1}
INDEX_REBUILD=${INDEX_REBUILD:-}
if [ -n "${ECOMPIPE:-}" ]; then
  BIN=$(realpath "$ECOMPIPE")
else
  BIN="$ROOT/build-perf/ecompipe"
  [ -x "$BIN" ] || BIN="$ROOT/build/ecompipe"
fi
BENCH_DIR=${BENCH_DIR:-/tmp/ecompipe-bench}
PG_DIR=${PG_DIR:-$BENCH_DIR/pg-load-server}
PG_PORT=${PG_PORT:-55490}
[ -x "$BIN" ] || { echo "pg_load: $BIN not found (build ecompipe first)" >&2; exit 1; }
echo "pg_load: $BIN (built $(date -u -r "$BIN" '+%F %H:%M UTC'))" >&2
PEERS_SRC="$ROOT/../shared/peers"
[ -d "$PEERS_SRC" ] || PEERS_SRC=/work/shared/peers
DATA=$BENCH_DIR/peers/data/n$N
if [ ! -f "$DATA/transactions.csv" ]; then
  mkdir -p "$DATA"
  echo "generating $N rows into $DATA" >&2
  python3 "$PEERS_SRC/gen.py" "$N" --out "$DATA" >&2
fi
CUSTOMERS="$DATA/customers_with_row_num.csv"   # see sqlite_load.sh: a numeric column for the crawler
if [ ! -f "$CUSTOMERS" ]; then
  awk 'NR == 1 { print $0 ",row_num"; next } { print $0 "," NR - 1 }' "$DATA/customers.csv" > "$CUSTOMERS.tmp"
  mv "$CUSTOMERS.tmp" "$CUSTOMERS"
fi

URL=$("$ROOT/scripts/pg-test-server.sh" start "$PG_DIR" "$PG_PORT")
trap '"$ROOT/scripts/pg-test-server.sh" stop "$PG_DIR"' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$URL" -c "$1"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
EXPORT=$PG_DIR/facts.copy   # in the server's folder: the server user writes it

results=()
for run in $(seq 1 "$RUNS"); do
  ep_schema=bench_ep_$run cp_schema=bench_copy_$run
  q "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $ep_schema CASCADE; DROP SCHEMA IF EXISTS $cp_schema CASCADE"
  PIPE=$PG_DIR-pipeline
  rm -rf "$PIPE"
  "$BIN" init "$PIPE" > /dev/null
  python3 - "$PIPE/ecompipe.yaml" "$URL" "$ep_schema" "$INDEX_REBUILD" <<'PY'
import sys
path, url, schema, rebuild = sys.argv[1:]
text = open(path).read()
old = "warehouse:\n  type: sqlite\n  path: warehouse.db\n"
assert old in text
new = f"warehouse:\n  type: postgres\n  url: {url}\n  schema: {schema}\n"
if rebuild:
    new += f"  index_rebuild: {rebuild}\n"
open(path, "w").write(text.replace(old, new))
PY
  (cd "$PIPE" && "$BIN" load-dims --products "$DATA/products.csv" --customers "$CUSTOMERS" > /dev/null)
  q "CHECKPOINT" > /dev/null
  t0=$(now)
  (cd "$PIPE" && "$BIN" put "$DATA/transactions.csv" transactions/year=2026/month=11/day=26/transaction_2026-11-26.csv > /dev/null \
     && "$BIN" process > "$PIPE/process.log" 2>&1)
  t1=$(now)
  # The part of the run spent reading the dimension tables back from the warehouse.
  dims_s=$(sed -n 's/.*Dimensions loaded\..* ms=\([0-9]*\).*/\1/p' "$PIPE/process.log" | awk '{ printf "%.2f", $1 / 1000 }')
  # ... and the part spent creating the dropped fact indexes again (warehouse.index_rebuild).
  rebuild_s=$(sed -n 's/.*Recreated the fact indexes\..* ms=\([0-9]*\).*/\1/p' "$PIPE/process.log" | awk '{ printf "%.2f", $1 / 1000 }')
  ep_rows=$(q "SELECT count(*) FROM $ep_schema.fact_transactions")
  ep_sum=$(q "SELECT SUM(total_amount) FROM $ep_schema.fact_transactions")
  ep_rejects=$(q "SELECT count(*) FROM $ep_schema.rejects")
  # The load ends with the table it began with: primary key, source_object B-tree, BRIN on dates.
  ep_indexes=$(q "SELECT string_agg(regexp_replace(indexdef, '.* USING ', ''), ', ' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = '$ep_schema' AND tablename = 'fact_transactions'")
  if [ "$ep_indexes" != "brin (transaction_date), btree (source_object), btree (transaction_id)" ]; then
    echo "pg_load: ecompipe's fact_transactions ends with the indexes '$ep_indexes'" >&2
    exit 1
  fi

  [ "$run" = 1 ] && q "COPY $ep_schema.fact_transactions TO '$EXPORT'"
  q "CREATE SCHEMA $cp_schema; CREATE TABLE $cp_schema.fact_transactions (LIKE $ep_schema.fact_transactions INCLUDING ALL)"
  q "CHECKPOINT" > /dev/null
  t2=$(now)
  psql -X -q -v ON_ERROR_STOP=1 -d "$URL" -c "\\copy $cp_schema.fact_transactions FROM '$EXPORT'"
  t3=$(now)
  cp_rows=$(q "SELECT count(*) FROM $cp_schema.fact_transactions")
  cp_sum=$(q "SELECT SUM(total_amount) FROM $cp_schema.fact_transactions")
  if [ "$ep_rows" != "$cp_rows" ] || [ "$ep_sum" != "$cp_sum" ]; then
    echo "pg_load: MISMATCH ecompipe $ep_rows rows sum $ep_sum, \\copy $cp_rows rows sum $cp_sum" >&2
    exit 1
  fi
  results+=("$(secs "$t0" "$t1") $(secs "$t2" "$t3") ${dims_s:-0}")
  echo "run $run: ecompipe $(secs "$t0" "$t1") s ($ep_rows facts + $ep_rejects rejects; dimensions read back ${dims_s:-0} s, indexes recreated ${rebuild_s:-not dropped} s), \\copy $(secs "$t2" "$t3") s ($cp_rows rows), sum $ep_sum" >&2
  q "SET client_min_messages = warning; DROP SCHEMA $ep_schema CASCADE; DROP SCHEMA $cp_schema CASCADE" > /dev/null
done

# Medians over the runs, then the table.
printf '%s\n' "${results[@]}" | python3 -c "
import statistics, sys
rows = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
ep = statistics.median(r[0] for r in rows); cp = statistics.median(r[1] for r in rows)
dims = statistics.median(r[2] for r in rows); rest = ep - dims
n = int('$ep_rows')
print(f'PostgreSQL load, {n:,} fact rows ({int(\"$N\"):,} transactions in), median of {len(rows)} run(s), same server')
print()
print('| loader | seconds | fact rows/s | ratio to \\\\copy |')
print('|---|---:|---:|---:|')
print(f'| ecompipe put + process (landing to commit) | {ep:.2f} | {n/ep:,.0f} | {cp/ep:.2f}x |')
print(f'| ecompipe without reading the dimensions back ({dims:.2f} s) | {rest:.2f} | {n/rest:,.0f} | {cp/rest:.2f}x |')
print(f'| psql \\\\copy of the same rows | {cp:.2f} | {n/cp:,.0f} | 1.00x |')
"
