#!/usr/bin/env bash
# Benchmarks ecompipe against the peers (../shared/peers) on the same generated data, in the
# same sitting, and prints a markdown table (wall s = median of RUNS, rows/s, peak RSS MiB,
# ratio to duckdb_fast's wall).
#
#   bench/run.sh [N]        N transactions (default 1000000; 1M customers, 10k products)
#
# env: RUNS=3                 timed runs of each command (interleaved: run i of all, then i+1)
#      PEERS="duckdb_fast duckdb_lowmem polars_fast sqlite postgres"   peers to time
#      ECOMPIPE=…             the binary (default: build-perf/ecompipe, else build/ecompipe)
#      THREADS=0              ecompipe job run --threads (0: one per core)
#      SQLITE_LOAD=1          also time the pipeline: landing to commit in the SQLite warehouse
#      BASELINE=…             another ecompipe binary (e.g. a build of the previous commit): its
#                             SQLite load is timed too, as ecompipe_sqlite_baseline
#      CSV_JOB=1              time ecompipe job run and check it with check.py (0: skip both;
#                             the counts are then compared with the first peer's)
#      BENCH_DIR=/tmp/ecompipe-bench   where the peers are copied and data/out written
#
# Timed commands:
#   ecompipe_csv     ecompipe job run (CSV in, fact.csv/rejects.csv out), checked by check.py
#                    against its Python reference (the run fails loudly on any difference)
#   ecompipe_sqlite  `ecompipe put` of transactions.csv into a fresh pipeline whose
#                    dimensions are already loaded (load-dims, not timed), then
#                    `ecompipe process` until committed; its counts are checked too
#   <peer>           the peer's own script, as ../shared/peers/run.sh runs it
#   floor            cat transactions.csv > /dev/null
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-1000000}
RUNS=${RUNS:-3}
PEERS=${PEERS-"duckdb_fast duckdb_lowmem polars_fast sqlite postgres"}
THREADS=${THREADS:-0}
SQLITE_LOAD=${SQLITE_LOAD:-1}
BASELINE=${BASELINE:-}
CSV_JOB=${CSV_JOB:-1}
BENCH_DIR=${BENCH_DIR:-/tmp/ecompipe-bench}
if [ -z "${ECOMPIPE:-}" ]; then
  ECOMPIPE="$ROOT/build-perf/ecompipe"
  [ -x "$ECOMPIPE" ] || ECOMPIPE="$ROOT/build/ecompipe"
fi
[ -x "$ECOMPIPE" ] || { echo "bench: no ecompipe binary (build it, or set ECOMPIPE)" >&2; exit 1; }
PEERS_SRC="$ROOT/../shared/peers"
[ -d "$PEERS_SRC" ] || PEERS_SRC=/work/shared/peers
P="$BENCH_DIR/peers"
mkdir -p "$P"
# Copy the harness (not its data, outputs or modules) so that it can write beside itself.
for f in "$PEERS_SRC"/*; do
  case "$(basename "$f")" in data|out|node_modules|pgdata) ;; *) cp -r "$f" "$P/" ;; esac
done
cd "$P"
DATA="$P/data/n$N"
OUT="$P/out"
mkdir -p "$OUT"
if [ ! -f "$DATA/manifest.json" ]; then
  echo "== generating $N rows into $DATA" >&2
  python3 gen.py "$N" --out "$DATA" >&2
fi
if [[ "$PEERS" == *duckdb* || "$PEERS" == *polars* ]] && { [ ! -d node_modules/@duckdb/node-api ] || [ ! -d node_modules/nodejs-polars-linux-x64-gnu ]; }; then
  echo "== npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi

peer_cmd() {
  case "$1" in
    ecompipe_csv) echo "$ECOMPIPE job run --transactions $DATA/transactions.csv --products $DATA/products.csv --customers $DATA/customers.csv --out $OUT/ecompipe --threads $THREADS" ;;
    ecompipe_sqlite) echo "$ROOT/bench/sqlite_load.sh $ECOMPIPE $DATA $OUT/ecompipe_sqlite" ;;
    ecompipe_sqlite_baseline) echo "$ROOT/bench/sqlite_load.sh $BASELINE $DATA $OUT/ecompipe_sqlite_baseline" ;;
    duckdb)   echo "node $P/peer_duckdb.js $DATA $OUT/duckdb" ;;
    duckdb_fast)   echo "node $P/peer_duckdb_fast.js $DATA $OUT/duckdb_fast" ;;
    duckdb_lowmem) echo "node $P/peer_duckdb_fast.js $DATA $OUT/duckdb_lowmem --lowmem" ;;
    polars)   echo "node $P/peer_polars.js $DATA $OUT/polars" ;;
    polars_fast)   echo "node $P/peer_polars_fast.js $DATA $OUT/polars_fast" ;;
    polars_lowmem) echo "node $P/peer_polars_fast.js $DATA $OUT/polars_lowmem --lowmem" ;;
    sqlite)   echo "$P/peer_sqlite.sh $DATA $OUT/sqlite" ;;
    postgres) echo "$P/peer_postgres.sh $DATA $OUT/postgres" ;;
    floor)    echo "$ROOT/bench/floor.sh $DATA/transactions.csv" ;;
    *) echo "unknown peer $1" >&2; return 1 ;;
  esac
}

ALL=""
[ "$CSV_JOB" = 1 ] && ALL="ecompipe_csv"
[ "$SQLITE_LOAD" = 1 ] && ALL="$ALL ecompipe_sqlite"
[ -n "$BASELINE" ] && ALL="$ALL ecompipe_sqlite_baseline"
ALL="$ALL $PEERS floor"
for p in $ALL; do
  mkdir -p "$OUT/$p"
  rm -f "$OUT/$p"/run_*.json "$OUT/$p"/time_*.txt
done
mkdir -p "$OUT/ecompipe"
cat "$DATA"/*.csv > /dev/null  # warm the page cache
for i in $(seq 1 "$RUNS"); do
  for p in $ALL; do
    echo "== $p run $i/$RUNS (N=$N)" >&2
    # shellcheck disable=SC2046
    /usr/bin/time -v -o "$OUT/$p/time_$i.txt" $(peer_cmd "$p") > "$OUT/$p/run_$i.json"
    tail -n 1 "$OUT/$p/run_$i.json" >&2
  done
done
if [ "$CSV_JOB" = 1 ]; then
cp "$OUT/ecompipe_csv/run_$RUNS.json" "$OUT/ecompipe/result.json"

echo "== check.py: ecompipe's fact.csv and rejects.csv against the Python reference" >&2
if ! python3 check.py "$DATA" "$OUT" ecompipe > "$OUT/check_ecompipe_n$N.md"; then
  cat "$OUT/check_ecompipe_n$N.md" >&2
  echo "bench: FAILED: ecompipe's output differs from the reference (see above)" >&2
  exit 1
fi
grep -E "^\| (python-reference|ecompipe) " "$OUT/check_ecompipe_n$N.md" >&2 || true
fi
python3 "$ROOT/bench/summarize.py" "$OUT" "$N" "$ALL" | tee "$OUT/bench_n$N.md"
