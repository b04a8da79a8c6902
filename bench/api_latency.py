#!/usr/bin/env python3
"""API latency at warehouse scale (issue 15, point 7): builds a pipeline whose load ledger holds
OBJECTS objects (default 10,000; ROWS rows each, default 10, so 100,000 facts; ROWS=1000 gives
10M facts), with `ecompipe generate` and `ecompipe process`, starts `serve` with the API, and
times GET /api/v1/runs, /status, /objects (first page, a prefix, and a page deep in the ledger by
cursor), /runs/{id} and /objects/trail: median and 95th percentile of REPS requests each, on a
kept-alive connection. It also prints SQLite's EXPLAIN QUERY PLAN of the statements those pages
run, so a full-table scan shows. Not a test: it prints figures.

  python3 bench/api_latency.py                 # 10,000 objects, 100,000 facts
  ROWS=1000 python3 bench/api_latency.py       # 10,000 objects, 10M facts (long)
  BENCH_DIR=/tmp/x KEEP=1 python3 bench/api_latency.py   # keep the pipeline for a rerun
"""
import http.client
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("ECOMPIPE_BIN") or os.path.join(HERE, "..", "build", "ecompipe")
OBJECTS = int(os.environ.get("OBJECTS", "10000"))
ROWS = int(os.environ.get("ROWS", "10"))
REPS = int(os.environ.get("REPS", "200"))
DIR = os.environ.get("BENCH_DIR", "/tmp/ecompipe-api-bench")
TOKEN = "bench-viewer-token-0123456789abcdef"


def run(*args, **kw):
    t = time.time()
    r = subprocess.run([BIN, *args], cwd=DIR, capture_output=True, text=True, **kw)
    if r.returncode not in (0, 2):
        sys.exit(f"ecompipe {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return time.time() - t


def build():
    shutil.rmtree(DIR, ignore_errors=True)
    os.makedirs(DIR)
    run("init", ".")
    with open(os.path.join(DIR, "ecompipe.yaml"), "a") as f:
        f.write("\napi:\n  listen: 127.0.0.1:0\n  tokens:\n"
                "    - {name: bench, token_env: EP_BENCH_TOKEN, role: viewer}\n")
    run("generate", "--reference-dims", "--days", "0", "--out", "dims")
    run("load-dims", "--products", "dims/dimensions/products/products.csv",
        "--customers", "dims/dimensions/customers/customers.csv")
    # Daily files from 1990 on: at most 3660 days per call.
    made, year = 0, 1990
    while made < OBJECTS:
        days = min(3650, OBJECTS - made)
        run("generate", "--date", f"{year}-01-01", "--days", str(days), "--rows", str(ROWS),
            "--seed", str(year), "--to-bucket")
        made += days
        year += 10
    took = run("process", "--quiet", timeout=24 * 3600)
    print(f"built: {OBJECTS} objects x {ROWS} rows in {took:.0f} s", flush=True)


def explain():
    con = sqlite3.connect(os.path.join(DIR, "warehouse.db"))
    state = sqlite3.connect(os.path.join(DIR, ".ecompipe", "state.db"))
    plans = [
        (state, "runs page",
         "SELECT run_id FROM runs WHERE ('' = '' OR job = '') AND ('' = '' OR state = '') AND "
         "('' = '' OR started_at >= '') AND ('' = '' OR started_at < '' OR (started_at = '' AND "
         "rowid < 9)) ORDER BY started_at DESC, rowid DESC LIMIT 51"),
        (con, "objects page (prefix, cursor)",
         "SELECT key FROM load_ledger WHERE bucket = 'b' AND key >= 'transactions/' AND "
         "key < 'transactions0' AND (key > 'k' OR (key = 'k' AND etag > 'e')) ORDER BY key, etag "
         "LIMIT 51"),
        (con, "rejects page (reason)",
         "SELECT id FROM rejects WHERE 1=1 AND reason = 'r' AND id > 0 ORDER BY id LIMIT 51"),
        (con, "a run's rejects by reason, per object",
         "SELECT reason, count(*) FROM rejects WHERE source_object = 'k' AND source_etag = 'e' "
         "GROUP BY reason"),
        (state, "events page (detail-type)",
         "SELECT seq FROM events e WHERE e.detail_type = 'x' AND e.seq < 9 ORDER BY e.seq DESC "
         "LIMIT 51"),
    ]
    print("\nEXPLAIN QUERY PLAN")
    for db, what, sql in plans:
        plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
        print(f"  {what}: {'; '.join(plan)}")


def measure():
    env = {**os.environ, "EP_BENCH_TOKEN": TOKEN}
    log = open(os.path.join(DIR, "serve.log"), "w")
    serve = subprocess.Popen([BIN, "serve"], cwd=DIR, stdout=log, stderr=subprocess.STDOUT,
                             env=env)
    try:
        port = None
        for _ in range(600):
            with open(os.path.join(DIR, "serve.log")) as f:
                m = re.search(r"API listening\. address=[^ ]*:(\d+)", f.read())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.1)
        if not port:
            sys.exit("serve did not start its API; see " + os.path.join(DIR, "serve.log"))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def get(path):
            conn.request("GET", path, headers={"Authorization": "Bearer " + TOKEN})
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                sys.exit(f"GET {path}: {r.status} {body[:300]}")
            return json.loads(body)

        first = get("/api/v1/runs?limit=1")["runs"][0]["run_id"]
        page = get("/api/v1/objects?limit=1000")
        for _ in range(4):  # a cursor about 5,000 objects in
            page = get("/api/v1/objects?limit=1000&cursor=" + urllib.parse.quote(page["next_cursor"]))
        deep = urllib.parse.quote(page["next_cursor"])
        key = page["objects"][0]["key"]
        paths = [
            ("runs", "/api/v1/runs"),
            ("runs?state=SUCCEEDED", "/api/v1/runs?state=SUCCEEDED"),
            ("status", "/api/v1/status"),
            ("objects", "/api/v1/objects"),
            ("objects?prefix=", "/api/v1/objects?prefix=transactions/year=2000/"),
            ("objects (cursor, 5000 in)", "/api/v1/objects?cursor=" + deep),
            ("runs/{id}", "/api/v1/runs/" + first[:15]),
            ("objects/trail", "/api/v1/objects/trail?key=" + urllib.parse.quote(key)),
            ("events", "/api/v1/events"),
            ("rejects", "/api/v1/rejects"),
        ]
        ledger = sqlite3.connect(os.path.join(DIR, "warehouse.db")).execute(
            "SELECT count(*), (SELECT fact_rows FROM warehouse_totals) FROM load_ledger").fetchone()
        print(f"\nledger objects {ledger[0]}, facts {ledger[1]}; {REPS} requests each "
              "(one kept-alive connection)")
        print(f"  {'endpoint':30} {'median ms':>10} {'p95 ms':>8}")
        for name, path in paths:
            get(path)
            times = []
            for _ in range(REPS):
                t = time.perf_counter()
                get(path)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            print(f"  {name:30} {statistics.median(times):10.2f} "
                  f"{times[int(len(times) * 0.95) - 1]:8.2f}", flush=True)
    finally:
        serve.terminate()
        serve.wait()
        log.close()


if __name__ == "__main__":
    if not (os.environ.get("KEEP") and os.path.exists(os.path.join(DIR, "warehouse.db"))):
        build()
    explain()
    measure()
