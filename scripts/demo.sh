#!/usr/bin/env bash
# The demo: installs and builds, initialises a pipeline in ./demo, starts `ecompipe serve`,
# lands dimensions and three days of transactions in the bucket while it runs, waits for the
# runs to finish, and prints what happened.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh
scripts/build.sh
ep="$root/build/ecompipe"
demo="$root/demo"
rows=${DEMO_ROWS:-10000}

rm -rf "$demo"
"$ep" init "$demo" >/dev/null
cd "$demo"
echo "== A pipeline in $demo (config: ecompipe.yaml, bucket: bucket/, warehouse: warehouse.db)"

"$ep" serve >serve.log 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
sleep 0.5

echo "== Landing the original's dimensions, then 3 days of $rows transactions (2% with faults)"
"$ep" generate --to-bucket --reference-dims --days 0
sleep 0.5   # dimensions first, as a shop would upload them
"$ep" generate --to-bucket --days 3 --rows "$rows" --date 2026-11-24 --invalid-rate 0.02

echo "== Waiting for the runs to finish"
for _ in $(seq 1 600); do
  loaded=$("$ep" query "SELECT count(*) FROM load_ledger" --format csv | tail -1)
  pending=$("$ep" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"]["deliveries_pending"])')
  if [ "$loaded" -ge 3 ] && [ "$pending" -eq 0 ]; then break; fi
  sleep 0.2
done
kill -TERM $serve; wait $serve || true
trap - EXIT

echo
echo "== Runs (rows loaded/rejected per file)"
"$ep" runs -n 10
echo
echo "== Notifications delivered to topic pipeline-status (notifications.jsonl)"
"$ep" notifications -n 10
echo
echo "== A few fact rows"
"$ep" query "SELECT transaction_id, customer_email, product_name, quantity, price, total_amount, transaction_type FROM fact_transactions ORDER BY transaction_id LIMIT 5"
echo
echo "== Rejects by reason"
"$ep" query "SELECT reason, count(*) AS rows FROM rejects GROUP BY reason ORDER BY 2 DESC"
echo
python3 - <<'PY'
import sqlite3
from datetime import datetime
db = sqlite3.connect(".ecompipe/state.db")
def t(s): return datetime.fromisoformat(s.replace("Z", "+00:00"))
landed = db.execute("SELECT min(received_at) FROM events WHERE detail_type='Object Created' AND body LIKE '%transactions/%'").fetchone()[0]
notified = db.execute("SELECT max(delivered_at) FROM notifications WHERE status='delivered'").fetchone()[0]
rows, ms = db.execute("SELECT sum(rows_read), sum(duration_ms) FROM runs").fetchone()
print(f"Figures: first transaction file landed -> last notification delivered: "
      f"{(t(notified) - t(landed)).total_seconds() * 1000:.0f} ms; "
      f"job: {rows:,} rows in {ms} ms of runs ({rows / max(ms, 1) * 1000:,.0f} rows/s).")
PY
echo
echo "Where to look next (inside $demo):"
echo "  $ep status                 summary of bucket, warehouse, events and the last run"
echo "  $ep events                 the event log: Object Created -> Crawler -> Job State Change"
echo "  $ep rejects --reason invalid_date"
echo "  $ep catalog --json         inferred schema, partitions, schema history"
echo "  $ep query \"SQL\"            anything on the warehouse (SQLite: warehouse.db)"
echo "  serve.log, notifications.jsonl, ecompipe.yaml (the rules)"
