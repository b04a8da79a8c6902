"""Several `ecompipe serve` workers share one pipeline through a PostgreSQL state store: work is
claimed under leases, loads stay exactly-once, and a worker killed mid-load is replaced. The
scenarios run with the PostgreSQL warehouse, and again with the SQLite warehouse file that
workers on one machine share."""
import os
import signal
import time
import unittest

from harness import WorkersTest, rows_csv, tx_key


def small_file(index, rows=5):
    """A valid file with `rows` transactions whose ids are unique across files."""
    return rows_csv([f"TXN{index:05d}{r:03d},C12345,P12345,2,29.99,2026-11-26,Credit Card,Completed"
                     for r in range(rows)])


class ExactlyOnceScenarios:
    """Mixed into a WorkersTest with one warehouse or the other."""

    def test_three_workers_load_300_files_each_exactly_once(self):
        self.land_reference_dims()
        workers = [self.start_worker() for _ in range(3)]
        n_files, rows = 300, 5
        for i in range(n_files):
            day = 1 + i % 28
            self.land(tx_key(day, f"batch_{i:04d}.csv"), small_file(i, rows))
        self.wait_for(lambda: self.wh("SELECT count(*) FROM load_ledger")[0][0] >= n_files,
                      timeout=600, what="300 loads")
        # Let any straggling duplicate attempt finish before counting.
        self.wait_for(lambda: int(self.state(
            "SELECT count(*) FROM deliveries WHERE status='pending'")[0][0]) == 0,
            timeout=300, what="the event log to drain")
        for w in workers:
            self.assertEqual(self.stop(w), 0)

        # Each file loaded once: one ledger row per key, every fact once.
        self.assertEqual(self.wh("SELECT count(*), count(DISTINCT key) FROM load_ledger "
                                 "WHERE status='loaded'"), [(n_files, n_files)])
        self.assertEqual(self.wh("SELECT count(*), count(DISTINCT transaction_id) FROM fact_transactions"),
                         [(n_files * rows, n_files * rows)])
        self.assertEqual(self.wh("SELECT count(*) FROM rejects")[0][0], 0)
        self.assert_nothing_lost()
        # The running totals status reads saw every concurrent load once.
        self.assertEqual(self.wh("SELECT fact_rows, reject_rows FROM warehouse_totals"), [(n_files * rows, 0)])
        # The runs' own records agree: every key appears once among the objects runs loaded.
        loaded = self.state("SELECT key, count(*) FROM run_objects WHERE status='loaded' GROUP BY key")
        self.assertEqual(len(loaded), n_files)
        self.assertTrue(all(int(n) == 1 for _, n in loaded), [k for k, n in loaded if int(n) != 1])
        # No run failed, no delivery became a dead letter, and nothing is left claimed.
        self.assertEqual(self.state("SELECT count(*) FROM runs WHERE state <> 'SUCCEEDED'"), [("0",)])
        self.assertEqual(self.state("SELECT count(*) FROM deliveries WHERE status='dead'"), [("0",)])
        self.assertEqual(self.state("SELECT count(*) FROM object_claims"), [("0",)])
        # One Object Created event per file, however many workers saw it land.
        self.assertEqual(self.state("SELECT count(*) FROM events WHERE detail_type='Object Created' "
                                    "AND body LIKE '%batch_%'"), [(str(n_files),)])
        # The work was shared: every worker ran deliveries.
        workers_with_runs = self.state("SELECT count(DISTINCT worker) FROM runs")[0][0]
        print(f"workers that ran jobs: {workers_with_runs}")

    def test_worker_killed_mid_load_is_replaced_and_the_object_loads_once(self):
        self.land_reference_dims()
        n_rows = 200_000
        rows = [f"TXN{i:08d},C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed" for i in range(n_rows)]
        # Worker A loads slowly (each of the ~30 fact batches waits 500 ms, ~15 s in all), so it
        # is certainly mid-load when killed a few seconds in.
        a = self.start_worker(env={"ECOMPIPE_TEST_BATCH_DELAY_MS": "500"})
        self.land(tx_key(26), rows_csv(rows))
        self.wait_for(lambda: self.state("SELECT claimed_by FROM object_claims"), timeout=120,
                      what="worker A to claim the object")
        holder = self.state("SELECT claimed_by FROM object_claims")[0][0]
        self.wait_for(lambda: self.state("SELECT count(*) FROM runs WHERE state='RUNNING'")[0][0] == "1",
                      timeout=60, what="A's run")
        # Worker B joins while A works: it must leave A's object alone while A's lease is renewed.
        b = self.start_worker()
        time.sleep(self.LEASE_SECONDS * 1.5)
        self.assertEqual(self.state("SELECT claimed_by FROM object_claims"), [(holder,)])
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger")[0][0], 0)
        a.send_signal(signal.SIGKILL)
        a.wait()
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 0)

        # B takes over once A's lease has run out, and loads the object once.
        self.wait_for(lambda: self.wh("SELECT count(*) FROM load_ledger")[0][0] == 1, timeout=300,
                      what="worker B to finish A's object")
        self.wait_for(lambda: self.state("SELECT count(*) FROM runs WHERE state IN ('STARTING','RUNNING')")
                      == [("0",)], timeout=60, what="A's run to be marked FAILED")
        self.assertEqual(self.stop(b), 0)
        self.assertEqual(self.wh("SELECT count(*), count(DISTINCT transaction_id) FROM fact_transactions"),
                         [(n_rows, n_rows)])
        self.assertEqual(self.wh("SELECT status, rows_read FROM load_ledger"), [("loaded", n_rows)])
        self.assertEqual(self.state("SELECT count(*) FROM object_claims"), [("0",)])
        runs = self.state("SELECT worker, state FROM runs ORDER BY started_at")
        self.assertEqual(runs[0], (holder, "FAILED"))
        self.assertIn("SUCCEEDED", [s for w, s in runs if w != holder])
        # The loaded object is credited to one run, of a worker other than A.
        loaded = self.state("SELECT r.worker FROM run_objects o JOIN runs r ON r.run_id = o.run_id "
                            "WHERE o.status='loaded'")
        self.assertEqual(len(loaded), 1)
        self.assertNotEqual(loaded[0][0], holder)



class PostgresStateAndWarehouseTest(ExactlyOnceScenarios, WorkersTest):
    WAREHOUSE = "postgres"

    def test_process_and_the_read_commands_work_on_the_postgres_state_store(self):
        """The core path on the shared store, driven by `process`: a file that landed while
        nothing ran is crawled and loaded, a second `process` loads nothing again, and the
        read-only commands read runs, events, catalog and notifications from PostgreSQL."""
        self.land_reference_dims()
        self.land(tx_key(24), small_file(1, 4))
        self.process(expect_rc=0)
        self.process(expect_rc=0)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 4)
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger")[0][0], 1)
        self.assertEqual(self.state("SELECT count(*) FROM events WHERE detail_type='Object Created'"),
                         [("1",)])
        runs = self.cli_json("runs")
        self.assertTrue(runs and all(r["state"] == "SUCCEEDED" for r in runs), runs)
        self.assertEqual(sum(1 for r in runs for o in r.get("objects", []) if o["status"] == "loaded"), 1)
        self.assertTrue(self.cli_json("events"))
        self.assertTrue(self.cli_json("catalog"))
        self.assertTrue(self.cli_json("notifications"))
        status = self.run_cli("status", check=True)
        self.assertNotIn("state.db", status.stdout)
        # No SQLite state file was made: the state lives in PostgreSQL only.
        self.assertFalse(os.path.exists(os.path.join(self.dir, ".ecompipe", "state.db")))

    def test_two_serve_workers_may_run_side_by_side_on_postgres(self):
        """The flock that keeps a second `serve` off an SQLite pipeline does not apply."""
        a = self.start_worker()
        b = self.start_worker()
        # Both up, not merely started: a SIGTERM before a worker has opened the pipeline is a
        # different case (on a busy machine two seconds were not always enough to open it).
        for i in (0, 1):
            self.wait_for(lambda i=i: "Serving." in self.worker_log(i), 120, f"worker {i} serving")
        self.assertIsNone(a.poll(), self.worker_log(0))
        self.assertIsNone(b.poll(), self.worker_log(1))
        self.assertEqual(self.stop(a), 0)
        self.assertEqual(self.stop(b), 0)
        self.assertIn("Worker joined the shared pipeline", self.worker_log(1))


class PostgresStateSqliteWarehouseTest(ExactlyOnceScenarios, WorkersTest):
    WAREHOUSE = "sqlite"


if __name__ == "__main__":
    unittest.main()
