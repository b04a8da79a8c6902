#!/usr/bin/env bash
# ecompipe loading its embedded SQLite warehouse, from landing to commit:
#   untimed set-up: a fresh pipeline in OUT/pipeline with the dimensions loaded;
#   timed (by the caller, around this whole script, set-up excluded via the JSON line's
#   "seconds"): `ecompipe put` of the transactions file, then `ecompipe process`.
# Prints one JSON line with the warehouse's counts, the landing-to-commit seconds, the peak RSS
# of `ecompipe process` (the load; load-dims is set-up and holds the dimension files' rows), the
# largest size the WAL file reached during it (sampled every 50 ms) and the file's final size.
#   sqlite_load.sh ECOMPIPE DATA_DIR OUT_DIR
set -euo pipefail
BIN=$1 DATA=$2 OUT=$3
rm -rf "$OUT/pipeline"
mkdir -p "$OUT"
"$BIN" init "$OUT/pipeline" > /dev/null
cd "$OUT/pipeline"
# The crawler's header sniffing (catalog/crawler.cc) calls a file whose columns are all text
# header-less, and gen.py's customers.csv is all text: give it a numeric row_num column, as
# the original's customers.csv has (extra columns are ignored). Made once, untimed.
CUSTOMERS="$DATA/customers_with_row_num.csv"
if [ ! -f "$CUSTOMERS" ]; then
  awk 'NR == 1 { print $0 ",row_num"; next } { print $0 "," NR - 1 }' "$DATA/customers.csv" > "$CUSTOMERS.tmp"
  mv "$CUSTOMERS.tmp" "$CUSTOMERS"
fi
"$BIN" load-dims --products "$DATA/products.csv" --customers "$CUSTOMERS" > /dev/null
start=$(date +%s.%N)
"$BIN" put "$DATA/transactions.csv" transactions/year=2026/month=11/day=26/transaction_2026-11-26.csv > /dev/null
WAL="$OUT/pipeline/warehouse.db-wal"
echo 0 > "$OUT/wal_peak"
(peak=0; while :; do
   s=$(stat -c %s "$WAL" 2> /dev/null || echo 0)
   if [ "$s" -gt "$peak" ]; then peak=$s; echo "$s" > "$OUT/wal_peak"; fi
   sleep 0.05
 done) &
sampler=$!
trap 'kill "$sampler" 2> /dev/null || true' EXIT
/usr/bin/time -f %M -o "$OUT/process_rss_kb" "$BIN" process > /dev/null
end=$(date +%s.%N)
kill "$sampler" 2> /dev/null; wait "$sampler" 2> /dev/null || true
q() { "$BIN" query "$1" --format csv | tail -n 1; }
facts=$(q "SELECT count(*) FROM fact_transactions")
rejects=$(q "SELECT count(*) FROM rejects")
sum=$(q "SELECT printf('%d.%02d', sum(total_amount_cents) / 100, sum(total_amount_cents) % 100) FROM fact_transactions")
rss_mib=$(awk '{ printf "%.0f", $1 / 1024 }' "$OUT/process_rss_kb")
echo "{\"peer\": \"ecompipe_sqlite\", \"fact_rows\": $facts, \"reject_rows\": $rejects, \"sum_total_amount\": $sum, \"seconds\": $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'), \"process_peak_rss_mib\": $rss_mib, \"wal_peak_bytes\": $(cat "$OUT/wal_peak"), \"db_bytes\": $(stat -c %s warehouse.db)}"
