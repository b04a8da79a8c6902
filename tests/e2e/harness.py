"""Helpers for whole-pipeline tests: they run the real ecompipe binary on real folders."""
import gzip
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

BIN = os.environ.get("ECOMPIPE_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "ecompipe")
DATA = os.environ.get("EP_TEST_DATA_DIR") or os.path.join(os.path.dirname(__file__), "..", "data")

HEADER = "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status"


def tx_key(day, name=None):
    """The original's key layout for 2026-11-<day>."""
    return f"transactions/year=2026/month=11/day={day}/" + (name or f"transaction_2026-11-{day:02d}.csv")


class PipelineTest(unittest.TestCase):
    """Each test gets a fresh pipeline folder made by `ecompipe init`."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ecompipe-e2e-")
        self.procs = []
        self.logs = []
        r = self.run_cli("init", self.dir, cwd=None)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.bucket = os.path.join(self.dir, "bucket")

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for f in self.logs:
            f.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- running the binary ------------------------------------------------------------
    def run_cli(self, *args, cwd="", check=False, timeout=600):
        r = subprocess.run([BIN, *args], cwd=self.dir if cwd == "" else cwd, capture_output=True,
                           text=True, timeout=timeout)
        if check and r.returncode != 0:
            self.fail(f"ecompipe {' '.join(args)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r

    def process(self, expect_rc=None):
        r = self.run_cli("process")
        if expect_rc is not None:
            self.assertEqual(r.returncode, expect_rc, r.stdout + r.stderr)
        return r

    def start_serve(self, env=None):
        log = open(os.path.join(self.dir, f"serve-{len(self.procs)}.log"), "w")
        self.logs.append(log)
        p = subprocess.Popen([BIN, "serve"], cwd=self.dir, stdout=log, stderr=subprocess.STDOUT,
                             env={**os.environ, **(env or {})})
        self.procs.append(p)
        return p

    def stop(self, proc, sig=signal.SIGTERM, timeout=60):
        proc.send_signal(sig)
        return proc.wait(timeout=timeout)

    def wait_for(self, predicate, timeout=120, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = predicate()
            if v:
                return v
            time.sleep(0.1)
        self.fail(f"timed out waiting for {what}")

    # --- landing files -----------------------------------------------------------------
    def land(self, key, content, mode="w"):
        """Writes a file into the bucket the way a careful user would (temp name, rename)."""
        path = os.path.join(self.bucket, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".part")
        with open(tmp, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        os.rename(tmp, path)
        return path

    def land_reference_dims(self):
        self.run_cli("load-dims", "--products", os.path.join(DATA, "products.csv"),
                     "--customers", os.path.join(DATA, "customers.csv"), check=True)

    # --- reading state -----------------------------------------------------------------
    def wh(self, sql, *params):
        con = sqlite3.connect(os.path.join(self.dir, "warehouse.db"))
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def state(self, sql, *params):
        con = sqlite3.connect(os.path.join(self.dir, ".ecompipe", "state.db"))
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def cli_json(self, *args):
        r = self.run_cli(*args, "--json", check=True)
        return json.loads(r.stdout)

    def notifications(self):
        path = os.path.join(self.dir, "notifications.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def assert_nothing_lost(self):
        """For every loaded object: rows read = rows loaded + rows rejected, and the tables agree."""
        for key, read, loaded, rejected in self.wh(
                "SELECT key, rows_read, rows_loaded, rows_rejected FROM load_ledger WHERE status='loaded'"):
            self.assertEqual(read, loaded + rejected, key)
            facts = self.wh("SELECT count(*) FROM fact_transactions WHERE source_object=?", key)[0][0]
            rejects = self.wh("SELECT count(*) FROM rejects WHERE source_object=?", key)[0][0]
            self.assertEqual((facts, rejects), (loaded, rejected), key)


def gzip_bytes(text):
    return gzip.compress(text.encode())


def rows_csv(rows):
    return HEADER + "\n" + "".join(r + "\n" for r in rows)


# A few valid rows against the reference dimensions (tests/data).
VALID_ROWS = [
    "TXN00000001,C12345,P12345,3,29.99,2026-11-26,Credit Card,Completed",      # 89.97 Small
    "TXN00000002,C12346,P12346,2,49.99,2026-11-26,Debit Card,Completed",       # 99.98 Small
    "TXN00000003,C12347,P12348,5,99.99,2026-11-26,Cash on Delivery,Completed", # 499.95 Medium
    "TXN00000004,C12348,P12348,6,99.99,2026-11-26,Credit Card,Completed",      # 599.94 Large
]


# --- several workers on a PostgreSQL state store ---------------------------------------------
PSQL = shutil.which("psql") or "/usr/bin/psql"


def pg_url():
    """The test server's URL (scripts/test.sh starts one and exports EP_TEST_PG_URL)."""
    url = os.environ.get("EP_TEST_PG_URL")
    if not url:
        raise AssertionError("EP_TEST_PG_URL is not set: run scripts/test.sh, or start "
                             "scripts/pg-test-server.sh and export the URL it prints")
    return url


def psql(url, sql):
    """Rows of `sql` as tuples of strings (NULL as None), through the psql client."""
    r = subprocess.run([PSQL, url, "-X", "-q", "-A", "-t", "-F", "\x1f", "-P", "null=\x1e",
                        "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"psql failed: {r.stderr.strip()}\n{sql}")
    rows = []
    for line in r.stdout.splitlines():
        rows.append(tuple(None if v == "\x1e" else v for v in line.split("\x1f")))
    return rows


def _number_or_text(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


class WorkersTest(PipelineTest):
    """A pipeline whose state store is a fresh PostgreSQL database, shared by several `serve`
    workers (each started with start_worker). Short leases keep failover quick. WAREHOUSE
    "postgres" puts the warehouse in the same database (schema dw); "sqlite" keeps the
    warehouse.db file, which the workers on this machine share."""

    LEASE_SECONDS = 2
    WAREHOUSE = "postgres"

    def setUp(self):
        super().setUp()
        base = pg_url()
        self.pg_db = "ep_e2e_" + os.urandom(4).hex()
        psql(base, f"CREATE DATABASE {self.pg_db}")
        head, _, tail = base.rpartition("/")
        query = ""
        if "?" in tail:
            tail, query = tail.split("?", 1)
            query = "?" + query
        self.state_url = f"{head}/{self.pg_db}{query}"
        cfg = os.path.join(self.dir, "ecompipe.yaml")
        with open(cfg) as f:
            text = f.read()
        old = "state:\n  type: sqlite\n  path: .ecompipe/state.db\n"
        self.assertIn(old, text)
        text = text.replace(old, f"state:\n  type: postgres\n  url: {self.state_url}\n"
                                 f"  lease_seconds: {self.LEASE_SECONDS}\n")
        if self.WAREHOUSE == "postgres":
            old = "warehouse:\n  type: sqlite\n  path: warehouse.db\n"
            self.assertIn(old, text)
            text = text.replace(old, f"warehouse:\n  type: postgres\n  url: {self.state_url}\n"
                                     "  schema: dw\n")
        with open(cfg, "w") as f:
            f.write(text)

    def tearDown(self):
        super().tearDown()
        try:
            psql(pg_url(), f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)")
        except AssertionError:
            pass

    def state(self, sql, *params):
        if params:
            raise ValueError("WorkersTest.state takes SQL without parameters")
        return psql(self.state_url, sql)

    def wh(self, sql, *params):
        if self.WAREHOUSE != "postgres":
            return super().wh(sql, *params)
        if params:  # the few parameterised reads of the shared helpers: one text key each
            sql = sql.replace("?", "'" + str(params[0]).replace("'", "''") + "'")
        rows = psql(self.state_url, "SET search_path TO dw; " + sql)
        return [tuple(_number_or_text(v) for v in row) for row in rows]

    def start_worker(self, env=None):
        return self.start_serve(env=env)

    def worker_log(self, index):
        with open(os.path.join(self.dir, f"serve-{index}.log")) as f:
            return f.read()
