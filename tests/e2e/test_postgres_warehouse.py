"""The core pipeline with the PostgreSQL warehouse: the real binary against a real PostgreSQL 15.

Most tests use the server scripts/test.sh starts (EP_TEST_PG_URL), each in a schema of its own.
The outage test starts and stops a private server with scripts/pg-test-server.sh."""
import glob
import json
import os
import secrets
import socket
import subprocess
import time
import unittest

from harness import DATA, PipelineTest, VALID_ROWS, rows_csv, tx_key

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PG_SERVER = os.path.join(ROOT, "scripts", "pg-test-server.sh")
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
SECRET = "e2e-Secret-pw"  # the test server trusts loopback, so any password works; none may leak


def with_password(url, password):
    scheme, rest = url.split("://", 1)
    userinfo, host = rest.split("@", 1)
    return f"{scheme}://{userinfo.split(':')[0]}:{password}@{host}"


def psql(url, sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"psql failed: {r.stderr}")
    return [tuple(line.split("|")) for line in r.stdout.splitlines() if line]


class PostgresPipelineTest(PipelineTest):
    """A pipeline folder whose ecompipe.yaml names a PostgreSQL warehouse in a fresh schema."""

    def setUp(self):
        self.base_url = os.environ.get("EP_TEST_PG_URL", "")
        if not self.base_url:
            self.skipTest("EP_TEST_PG_URL is not set (scripts/test.sh starts a PostgreSQL server and sets it)")
        super().setUp()
        with open(os.path.join(self.dir, "ecompipe.yaml")) as f:
            self.original_config = f.read()
        self.schema = "ep_e2e_" + secrets.token_hex(6)
        self.use_warehouse(self.base_url, self.schema)

    def tearDown(self):
        super().tearDown()
        if getattr(self, "schema", None) and self.base_url:
            try:
                psql(self.base_url, f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            except RuntimeError:
                pass

    def use_warehouse(self, url, schema, extra=""):
        path = os.path.join(self.dir, "ecompipe.yaml")
        text = self.original_config
        old = "warehouse:\n  type: sqlite\n  path: warehouse.db\n"
        self.assertIn(old, text)
        new = f"warehouse:\n  type: postgres\n  url: {with_password(url, SECRET)}\n"
        if schema:
            new += f"  schema: {schema}\n"
        with open(path, "w") as f:
            f.write(text.replace(old, new) + extra)
        self.url = url
        self.search = f"SET search_path TO {schema}; " if schema else ""

    def pg(self, sql):
        return psql(self.url, self.search + sql)

    def scalar(self, sql):
        rows = self.pg(sql)
        return rows[0][0] if rows else None

    def assert_nothing_lost_pg(self):
        for key, read, loaded, rejected in self.pg(
                "SELECT key, rows_read, rows_loaded, rows_rejected FROM load_ledger WHERE status='loaded'"):
            self.assertEqual(int(read), int(loaded) + int(rejected), key)
            facts = self.scalar(f"SELECT count(*) FROM fact_transactions WHERE source_object='{key}'")
            rejects = self.scalar(f"SELECT count(*) FROM rejects WHERE source_object='{key}'")
            self.assertEqual((int(facts), int(rejects)), (int(loaded), int(rejected)), key)

    def assert_no_secret_anywhere(self, *outputs):
        for text in outputs:
            self.assertNotIn(SECRET, text)
        for path in glob.glob(os.path.join(self.dir, "*.log")) + glob.glob(os.path.join(self.dir, "*.jsonl")):
            with open(path, errors="replace") as f:
                self.assertNotIn(SECRET, f.read(), path)


class PostgresCoreScenarioTest(PostgresPipelineTest):
    def test_files_land_facts_in_postgres_once_duplicates_rejected_sums_exact(self):
        self.land_reference_dims()
        self.assertEqual(self.scalar("SELECT count(*) FROM dim_products"), "20")
        day25 = rows_csv(VALID_ROWS + [
            "TXN00000001,C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed",  # same id again in the file
            "TXN00000009,X12345,P12345,1,29.99,2026-11-26,Credit Card,Completed",  # malformed customer id
        ])
        self.land(tx_key(25), day25)
        self.process(expect_rc=0)
        self.assertEqual(self.scalar("SELECT count(*) FROM fact_transactions"), "4")
        self.assertEqual(self.scalar("SELECT SUM(total_amount) FROM fact_transactions"), "1289.84")
        self.assertEqual(self.pg("SELECT transaction_type, count(*) FROM fact_transactions GROUP BY 1 ORDER BY 1"),
                         [("Large", "1"), ("Medium", "1"), ("Small", "2")])
        self.assertEqual(sorted(self.pg("SELECT reason, line FROM rejects")),
                         [("duplicate_transaction_id", "6"), ("malformed_customer_id", "7")])

        # A later file repeats an id the warehouse already holds: a reject, never a second row.
        self.land(tx_key(26), rows_csv([
            "TXN00000001,C12346,P12346,2,49.99,2026-11-27,Debit Card,Completed",
            "TXN00000005,C12346,P12346,2,49.99,2026-11-27,Debit Card,Completed",
        ]))
        self.process(expect_rc=0)
        self.assertEqual(self.scalar("SELECT count(*) FROM fact_transactions"), "5")
        self.assertEqual(self.scalar("SELECT count(DISTINCT transaction_id) FROM fact_transactions"), "5")
        self.assertEqual(self.pg(f"SELECT reason, detail FROM rejects WHERE source_object = '{tx_key(26)}'"),
                         [("duplicate_transaction_id", f"transaction_id TXN00000001 already loaded from {tx_key(25)}")])
        self.assertEqual(self.scalar("SELECT SUM(total_amount) FROM fact_transactions"), "1389.82")

        # The same file landed again (same content, same ETag) loads once.
        self.land(tx_key(25), day25)
        self.process(expect_rc=0)
        self.assertEqual(self.scalar("SELECT count(*) FROM fact_transactions"), "5")
        self.assertEqual(self.pg("SELECT key, status, rows_read, rows_loaded, rows_rejected FROM load_ledger ORDER BY key"),
                         [(tx_key(25), "loaded", "6", "4", "2"), (tx_key(26), "loaded", "2", "1", "1")])
        self.assert_nothing_lost_pg()

        # The CLI reads the same warehouse; the password never shows.
        q = self.run_cli("query", "SELECT count(*) AS n FROM fact_transactions", "--format", "csv", check=True)
        self.assertEqual(q.stdout.strip().splitlines()[-1], "5")
        status = self.run_cli("status", check=True)
        self.assertIn("Warehouse  postgres postgresql://postgres:REDACTED@", status.stdout)
        self.assertIn("total_amount 1389.82", status.stdout)
        rejects = self.run_cli("rejects", check=True)
        self.assertIn("duplicate_transaction_id", rejects.stdout)
        states = [n["event"]["detail"]["state"] for n in self.notifications()]
        self.assertNotIn("FAILED", states)
        self.assertGreaterEqual(states.count("SUCCEEDED"), 2)
        self.assert_no_secret_anywhere(q.stdout + q.stderr, status.stdout + status.stderr)

    def test_three_generated_days_load_with_nothing_lost(self):
        self.run_cli("generate", "--to-bucket", "--reference-dims", "--date", "2026-11-24", "--days", "3",
                     "--rows", "2000", "--invalid-rate", "0.05", "--seed", "7", check=True)
        self.process(expect_rc=0)
        self.assertEqual(self.pg("SELECT status, count(*) FROM load_ledger GROUP BY 1"), [("loaded", "3")])
        facts = int(self.scalar("SELECT count(*) FROM fact_transactions"))
        rejects = int(self.scalar("SELECT count(*) FROM rejects"))
        self.assertEqual((facts + rejects, rejects), (6000, 300))
        self.assert_nothing_lost_pg()
        self.assertEqual(self.scalar("""SELECT count(*) FROM fact_transactions WHERE total_amount <> quantity * price
            OR transaction_type <> CASE WHEN total_amount <= 100 THEN 'Small' WHEN total_amount <= 500 THEN 'Medium'
                                        ELSE 'Large' END"""), "0")
        self.assertEqual(self.scalar("""SELECT count(*) FROM fact_transactions f JOIN dim_customers c
            USING (customer_id) WHERE f.customer_email = c.email"""), str(facts))

    def hold_lock(self, table):
        """A psql session holding `table` under ACCESS EXCLUSIVE (as a big load holds
        fact_transactions, warehouse.index_rebuild) until its stdin gets ROLLBACK."""
        holder = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        holder.stdin.write(self.search + f"BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\n")
        holder.stdin.flush()
        held = (f"SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                f"WHERE c.relname = '{table}' AND c.relnamespace = '{self.schema}'::regnamespace "
                f"AND l.mode = 'AccessExclusiveLock' AND l.granted")
        deadline = time.time() + 30
        while psql(self.url, held) != [("1",)]:
            self.assertLess(time.time(), deadline, "psql never took the lock")
            time.sleep(0.05)
        return holder

    def release(self, holder):
        holder.stdin.write("ROLLBACK;\n")
        holder.stdin.close()
        holder.wait(timeout=30)

    def test_status_during_a_load_holding_the_facts_answers_from_the_running_totals(self):
        self.land_reference_dims()
        self.land(tx_key(25), rows_csv(VALID_ROWS))
        self.process(expect_rc=0)
        holder = self.hold_lock("fact_transactions")
        try:
            r = self.run_cli("status", timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("facts 4, rejects 0, total_amount 1289.84", r.stdout)
        finally:
            self.release(holder)

    def test_status_that_cannot_count_says_so_instead_of_waiting_or_showing_zeros(self):
        self.land_reference_dims()
        self.land(tx_key(25), rows_csv(VALID_ROWS))
        self.process(expect_rc=0)
        holder = self.hold_lock("dim_products")  # as a dimension upsert in progress could
        try:
            r = self.run_cli("status", timeout=60)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("  unavailable: a load holds the warehouse's tables until it commits", r.stdout)
            self.assertIn("lock timeout", r.stdout)
            self.assertNotIn("facts ", r.stdout)
            self.assertIn("Last run   ecommerce_data_processing SUCCEEDED", r.stdout)  # the rest still shows
            j = self.run_cli("status", "--json", timeout=60)
            self.assertEqual(j.returncode, 1, j.stdout + j.stderr)
            warehouse = json.loads(j.stdout)["warehouse"]
            self.assertIn("lock timeout", warehouse["error"])
            self.assertNotIn("fact_rows", warehouse)
        finally:
            self.release(holder)
        r = self.run_cli("status", check=True)
        self.assertIn("facts 4, rejects 0", r.stdout)

    def status_totals(self):
        w = self.cli_json("status")["warehouse"]
        return w["fact_rows"], w["reject_rows"], w["total_amount"]

    def counted_totals(self):
        facts, total = self.pg("SELECT count(*), COALESCE(SUM(total_amount), 0) FROM fact_transactions")[0]
        return int(facts), int(self.scalar("SELECT count(*) FROM rejects")), total

    def test_status_totals_follow_loads_replaces_and_duplicates(self):
        # Regression (issue 12, point 8): status recounted every fact; it reads running totals.
        self.land_reference_dims()
        self.land(tx_key(25), rows_csv(VALID_ROWS + ["TXN00000099,C99999,P12345,1,29.99,2026-11-26,Cash,Completed"]))
        self.process(expect_rc=0)
        self.assertEqual(self.status_totals(), (4, 1, "1289.84"))
        self.assertEqual(self.status_totals(), self.counted_totals())
        self.land(tx_key(25), rows_csv(VALID_ROWS[:2]))  # a new version replaces the first
        self.process(expect_rc=0)
        self.assertEqual(self.status_totals(), (2, 0, "189.95"))
        self.land(tx_key(26), rows_csv(VALID_ROWS[1:3]))  # TXN00000002 again: a duplicate reject
        self.process(expect_rc=0)
        self.assertEqual(self.status_totals(), (3, 1, "689.90"))
        self.assertEqual(self.status_totals(), self.counted_totals())

    def test_a_version_1_warehouse_gets_its_totals_counted_once(self):
        self.land_reference_dims()
        self.land(tx_key(25), rows_csv(VALID_ROWS + ["TXN00000099,C99999,P12345,1,29.99,2026-11-26,Cash,Completed"]))
        self.process(expect_rc=0)
        self.pg("DROP TABLE warehouse_totals; DELETE FROM ecompipe_schema_version; "
                "INSERT INTO ecompipe_schema_version VALUES (1)")
        self.assertEqual(self.status_totals(), (4, 1, "1289.84"))  # the first open counts them
        self.assertEqual(self.scalar("SELECT max(version) FROM ecompipe_schema_version"), "3")
        self.land(tx_key(26), rows_csv(["TXN00000005,C12346,P12346,2,49.99,2026-11-27,Debit Card,Completed"]))
        self.process(expect_rc=0)
        self.assertEqual(self.status_totals(), (5, 1, "1389.82"))

    def test_unreachable_warehouse_is_a_clear_error_without_the_password(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.use_warehouse(f"postgresql://loader@127.0.0.1:{port}/dw", "", extra="")
        r = self.run_cli("process")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"cannot connect to PostgreSQL host=127.0.0.1 port={port} dbname=dw user=loader", r.stderr)
        self.assert_no_secret_anywhere(r.stdout + r.stderr)


class PrivateServer:
    """A PostgreSQL server of the test's own that it can stop and start again (data kept)."""

    def __init__(self, directory):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = directory
        r = subprocess.run([PG_SERVER, "start", self.dir, str(self.port)], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"pg-test-server.sh start failed: {r.stderr}")
        self.url = r.stdout.strip()

    def _pg_ctl(self, *args):
        cmd = [os.path.join(PG_BIN, "pg_ctl"), "-D", os.path.join(self.dir, "data"), *args]
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def stop(self):
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self):
        self._pg_ctl("-l", os.path.join(self.dir, "server.log"), "-w", "-t", "60", "-o",
                     f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def remove(self):
        subprocess.run([PG_SERVER, "stop", self.dir], capture_output=True, timeout=120)


class PostgresOutageTest(PostgresPipelineTest):
    def test_server_stopped_mid_run_fails_the_run_then_loads_exactly_once_when_back(self):
        server = PrivateServer("/tmp/ep-pg-outage-" + secrets.token_hex(4))
        self.addCleanup(server.remove)
        self.use_warehouse(server.url, None,
                           extra="\nretry: {max_attempts: 1000, base_delay_ms: 200, max_delay_ms: 1000}\n")
        self.land_reference_dims()
        n_rows = 200_000
        rows = [f"TXN{i:08d},C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed" for i in range(n_rows)]
        self.land(tx_key(26), rows_csv(rows))
        # Each batch of facts waits 50 ms, so the outage certainly lands inside the load.
        serve = self.start_serve(env={"ECOMPIPE_TEST_BATCH_DELAY_MS": "50"})
        self.wait_for(lambda: self.state("SELECT count(*) FROM runs WHERE state='RUNNING'")[0][0] > 0,
                      timeout=60, what="the load to start")
        time.sleep(0.3)
        server.stop()
        failed = self.wait_for(lambda: [n for n in self.notifications() if n["event"]["detail"]["state"] == "FAILED"],
                               timeout=60, what="the FAILED notification")
        message = failed[0]["event"]["detail"]["message"]
        self.assertIn(f"PostgreSQL host=127.0.0.1 port={server.port}", message)
        self.assertNotIn(SECRET, message)
        time.sleep(1.5)  # retries meet the stopped server for a while
        server.start()
        self.wait_for(lambda: self.pg("SELECT count(*) FROM load_ledger WHERE status='loaded'") == [("1",)],
                      timeout=120, what="the load after the server came back")
        self.assertEqual(self.stop(serve), 0)
        self.assertEqual(self.scalar("SELECT count(*) FROM fact_transactions"), str(n_rows))
        self.assertEqual(self.scalar("SELECT count(DISTINCT transaction_id) FROM fact_transactions"), str(n_rows))
        self.assertEqual(self.scalar("SELECT count(*) FROM rejects"), "0")
        self.assertEqual(self.scalar("SELECT SUM(total_amount) FROM fact_transactions"), f"{n_rows * 29.99:.2f}")
        states = [r[0] for r in self.state("SELECT state FROM runs ORDER BY started_at")]
        self.assertEqual(states[0], "FAILED")
        self.assertEqual(states[-1], "SUCCEEDED")
        self.assertEqual(states.count("SUCCEEDED"), 1)
        self.assert_no_secret_anywhere()



class PostgresRestartTest(PostgresPipelineTest):
    def test_server_restarted_between_loads_costs_no_failed_run(self):
        server = PrivateServer("/tmp/ep-pg-restart-" + secrets.token_hex(4))
        self.addCleanup(server.remove)
        self.use_warehouse(server.url, None)
        self.land_reference_dims()
        serve = self.start_serve()
        self.land(tx_key(25), rows_csv(VALID_ROWS))
        self.wait_for(lambda: self.pg("SELECT count(*) FROM load_ledger WHERE status='loaded'") == [("1",)],
                      timeout=60, what="the first load")
        # The serving process keeps its warehouse connection open; the server restarts under it.
        server.stop()
        server.start()
        self.land(tx_key(26), rows_csv([row.replace("TXN0000000", "TXN0000010") for row in VALID_ROWS]))
        self.wait_for(lambda: self.pg("SELECT count(*) FROM load_ledger WHERE status='loaded'") == [("2",)],
                      timeout=60, what="the load after the restart")
        self.assertEqual(self.stop(serve), 0)
        self.assertEqual(self.scalar("SELECT count(*) FROM fact_transactions"), "8")
        self.assertEqual([r[0] for r in self.state("SELECT state FROM runs ORDER BY started_at")],
                         ["SUCCEEDED", "SUCCEEDED"])
        self.assertEqual([n["event"]["detail"]["state"] for n in self.notifications()
                          if n["event"]["detail"]["state"] == "FAILED"], [])
        with open(os.path.join(self.dir, "serve-0.log")) as f:
            log = f.read()
        self.assertIn(f"Reconnected to PostgreSQL. server=\"host=127.0.0.1 port={server.port}", log)


class PostgresPasswordEnvTest(PostgresPipelineTest):
    """password_env: the password of a role the server really asks one of (scram-sha-256)."""

    ROLE = "ep_loader"
    VAR = "EP_E2E_PG_PASSWORD"

    def setUp(self):
        super().setUp()
        self.server = PrivateServer("/tmp/ep-pg-password-" + secrets.token_hex(4))
        self.addCleanup(self.server.remove)
        self.password = "pw-" + secrets.token_hex(8)
        psql(self.server.url, f"CREATE ROLE {self.ROLE} LOGIN PASSWORD '{self.password}'; "
                              f"CREATE SCHEMA shop AUTHORIZATION {self.ROLE}; "
                              f"GRANT CREATE ON DATABASE postgres TO {self.ROLE}; "
                              f"GRANT CREATE ON SCHEMA public TO {self.ROLE}")
        # The test server trusts loopback; this role alone must give its password.
        hba = os.path.join(self.server.dir, "data", "pg_hba.conf")
        with open(hba) as f:
            rules = f.read()
        with open(hba, "w") as f:
            f.write(f"host all {self.ROLE} 127.0.0.1/32 scram-sha-256\n" + rules)
        psql(self.server.url, "SELECT pg_reload_conf()")
        url = f"postgresql://{self.ROLE}@127.0.0.1:{self.server.port}/postgres"
        r = subprocess.run(["psql", "-X", "-w", "-d", url, "-c", "SELECT 1"], capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if k != "PGPASSWORD"}, timeout=60)
        self.assertNotEqual(r.returncode, 0, "the role must need a password")
        self.use_warehouse(self.server.url, "shop")
        with open(os.path.join(self.dir, "ecompipe.yaml")) as f:
            text = f.read()
        text = text.replace(f"  url: {with_password(self.server.url, SECRET)}\n",
                            f"  url: {url}\n  password_env: {self.VAR}\n")
        old_state = "state:\n  type: sqlite\n  path: .ecompipe/state.db\n"
        self.assertIn(old_state, text)
        text = text.replace(old_state, f"state:\n  type: postgres\n  url: {url}\n  password_env: {self.VAR}\n")
        with open(os.path.join(self.dir, "ecompipe.yaml"), "w") as f:
            f.write(text)
        self.saved = os.environ.pop(self.VAR, None)
        self.addCleanup(self.restore_env)

    def restore_env(self):
        os.environ.pop(self.VAR, None)
        if self.saved is not None:
            os.environ[self.VAR] = self.saved

    def test_password_comes_from_the_variable_is_used_and_never_shown(self):
        # Unset: a clear error naming the variable.
        r = self.run_cli("process")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"the PostgreSQL password comes from the environment variable {self.VAR}, which is not set",
                      r.stderr)
        # Wrong: the server refuses it (so the password is really what authenticates).
        os.environ[self.VAR] = "wrong-" + self.password
        r = self.run_cli("process")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f'password authentication failed for user "{self.ROLE}"', r.stderr)
        self.assertNotIn(self.password, r.stdout + r.stderr)
        # Right: dimensions, a load, the CLI; the state store on the same server with it.
        os.environ[self.VAR] = self.password
        self.land_reference_dims()
        self.land(tx_key(25), rows_csv(VALID_ROWS))
        p = self.process(expect_rc=0)
        self.assertEqual(self.scalar("SELECT count(*) FROM fact_transactions"), "4")
        self.assertEqual(psql(self.server.url, "SELECT count(*) FROM public.runs WHERE state = 'SUCCEEDED'"),
                         [("1",)])
        self.assertEqual(psql(self.server.url, "SELECT schemaname, tableowner FROM pg_tables "
                                               "WHERE tablename IN ('fact_transactions', 'runs') ORDER BY 1"),
                         [("public", self.ROLE), ("shop", self.ROLE)])
        status = self.run_cli("status", check=True)
        self.assertIn(f"postgres postgresql://{self.ROLE}@127.0.0.1:{self.server.port}/postgres?password_env={self.VAR}",
                      status.stdout)
        q = self.run_cli("query", "SELECT count(*) AS n FROM fact_transactions", "--format", "csv", check=True)
        self.assertEqual(q.stdout.strip().splitlines()[-1], "4")
        outputs = [p.stdout + p.stderr, status.stdout + status.stderr, q.stdout + q.stderr]
        for text in outputs:
            self.assertNotIn(self.password, text)
        for path in glob.glob(os.path.join(self.dir, "**", "*"), recursive=True):
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    self.assertNotIn(self.password.encode(), f.read(), path)


if __name__ == "__main__":
    unittest.main()
