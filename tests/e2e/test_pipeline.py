"""The core invariants, each proven on the real binary: nothing lost, exactly once, files landed
while the pipeline was down are picked up, and a SIGKILL mid-load leaves no trace."""
import json
import os
import signal
import time

from harness import PipelineTest, VALID_ROWS, rows_csv, tx_key


class GeneratedDaysTest(PipelineTest):
    def test_three_generated_days_load_with_nothing_lost(self):
        r = self.run_cli("generate", "--to-bucket", "--reference-dims", "--date", "2026-11-24",
                         "--days", "3", "--rows", "2000", "--invalid-rate", "0.05", "--seed", "7",
                         check=True)
        self.assertIn("transactions/year=2026/month=11/day=24/transaction_2026-11-24.csv", r.stdout)
        self.process(expect_rc=0)
        ledger = self.wh("SELECT key, status, rows_read FROM load_ledger ORDER BY key")
        self.assertEqual([(k, s) for k, s, _ in ledger], [
            (f"transactions/year=2026/month=11/day={d}/transaction_2026-11-{d}.csv", "loaded")
            for d in (24, 25, 26)])
        self.assertTrue(all(n == 2000 for _, _, n in ledger))
        self.assert_nothing_lost()
        facts, rejects = self.wh("SELECT (SELECT count(*) FROM fact_transactions), (SELECT count(*) FROM rejects)")[0]
        self.assertEqual(facts + rejects, 6000)
        self.assertEqual(rejects, 300)  # 5% of 6000, one fault each
        reasons = {r for (r,) in self.wh("SELECT DISTINCT reason FROM rejects")}
        self.assertTrue(reasons <= {
            "unknown_customer_id", "malformed_customer_id", "unknown_product_id", "malformed_product_id",
            "invalid_quantity", "invalid_price", "invalid_date", "wrong_field_count",
            "duplicate_transaction_id"}, reasons)
        # total_amount = quantity * price, exactly; classes by the configured bounds.
        bad = self.wh("""SELECT count(*) FROM fact_transactions WHERE
            CAST(ROUND(total_amount*100) AS INTEGER) != quantity * CAST(ROUND(price*100) AS INTEGER)
            OR transaction_type != CASE WHEN CAST(ROUND(total_amount*100) AS INTEGER) <= 10000 THEN 'Small'
                                        WHEN CAST(ROUND(total_amount*100) AS INTEGER) <= 50000 THEN 'Medium'
                                        ELSE 'Large' END""")[0][0]
        self.assertEqual(bad, 0)
        # Joined columns come from the dimensions.
        self.assertEqual(self.wh("""SELECT count(*) FROM fact_transactions f JOIN dim_customers c
            USING (customer_id) WHERE f.customer_email = c.email""")[0][0], facts)
        # Each job state change reached the log subscriber.
        states = [n["event"]["detail"]["state"] for n in self.notifications()]
        self.assertIn("SUCCEEDED", states)
        self.assertTrue(all(s in ("SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED") for s in states))

    def test_generate_is_deterministic(self):
        a = os.path.join(self.dir, "a")
        b = os.path.join(self.dir, "b")
        for out in (a, b):
            self.run_cli("generate", "--out", out, "--seed", "3", "--date", "2026-11-26", "--rows", "500",
                         "--customers", "50", "--products", "10", check=True)
        for key in ("transactions/year=2026/month=11/day=26/transaction_2026-11-26.csv",
                    "dimensions/customers/customers.csv", "dimensions/products/products.csv"):
            with open(os.path.join(a, key), "rb") as fa, open(os.path.join(b, key), "rb") as fb:
                self.assertEqual(fa.read(), fb.read(), key)


class ExactlyOnceTest(PipelineTest):
    def test_same_file_landed_twice_loads_once(self):
        self.land_reference_dims()
        src = os.path.join(self.dir, "day.csv")
        with open(src, "w") as f:
            f.write(rows_csv(VALID_ROWS))
        self.run_cli("put", src, tx_key(26), check=True)
        self.process(expect_rc=0)
        self.run_cli("put", src, tx_key(26), check=True)   # same bytes, same ETag
        self.process(expect_rc=0)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 4)
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger")[0][0], 1)

    def test_same_rows_under_another_key_become_duplicate_rejects(self):
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.process(expect_rc=0)
        self.land(tx_key(27), rows_csv(VALID_ROWS))
        self.process(expect_rc=2)  # every row rejected: the run breaks the quality gate
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 4)
        self.assertEqual(self.wh("SELECT reason, count(*) FROM rejects GROUP BY reason"),
                         [("duplicate_transaction_id", 4)])
        self.assert_nothing_lost()

    def test_reupload_with_new_etag_replaces_earlier_rows(self):
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.process(expect_rc=0)
        self.land(tx_key(26), rows_csv(VALID_ROWS[:2]))
        self.process(expect_rc=0)
        self.assertEqual(sorted(r[0] for r in self.wh("SELECT transaction_id FROM fact_transactions")),
                         ["TXN00000001", "TXN00000002"])
        self.assertEqual(self.wh("SELECT count(*) FROM rejects")[0][0], 0)

    def test_file_landed_while_down_is_processed_at_start(self):
        self.land_reference_dims()
        self.process(expect_rc=0)
        self.land(tx_key(26), rows_csv(VALID_ROWS))      # nothing is running
        serve = self.start_serve()
        self.wait_for(lambda: self.wh("SELECT count(*) FROM load_ledger")[0][0] == 1,
                      what="the file landed while down to load")
        self.assertEqual(self.stop(serve), 0)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 4)

    def test_serve_sees_files_dropped_into_the_bucket(self):
        self.land_reference_dims()
        serve = self.start_serve()
        time.sleep(0.5)
        self.land(tx_key(25), rows_csv(VALID_ROWS[:2]))
        # An editor's temp file is not an object.
        self.land(tx_key(26, ".transaction_2026-11-26.csv.swp"), "garbage")
        self.wait_for(lambda: self.wh("SELECT count(*) FROM load_ledger")[0][0] >= 1, what="load")
        self.wait_for(lambda: any(n["event"]["detail"]["state"] == "SUCCEEDED" for n in self.notifications()),
                      what="the SUCCEEDED notification")
        self.assertEqual(self.stop(serve), 0)
        self.assertEqual(self.wh("SELECT key FROM load_ledger"), [(tx_key(25),)])

    def test_sigkill_mid_load_then_restart_loads_exactly_once(self):
        self.land_reference_dims()
        n_rows = 200_000
        rows = [f"TXN{i:08d},C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed" for i in range(n_rows)]
        self.land(tx_key(26), rows_csv(rows))
        # Each batch of facts waits 30 ms, so the kill certainly lands inside the load.
        serve = self.start_serve(env={"ECOMPIPE_TEST_BATCH_DELAY_MS": "30"})
        self.wait_for(lambda: self.state("SELECT count(*) FROM runs WHERE state='RUNNING'")[0][0] > 0,
                      timeout=60, what="the load to start")
        time.sleep(0.3)
        serve.send_signal(signal.SIGKILL)
        serve.wait()
        # Nothing of the load in flight is visible...
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 0)
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger")[0][0], 0)
        # ...and a restart finishes it, once.
        serve = self.start_serve()
        self.wait_for(lambda: self.wh("SELECT count(*) FROM load_ledger")[0][0] == 1, what="the reload")
        self.assertEqual(self.stop(serve), 0)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], n_rows)
        self.assertEqual(self.wh("SELECT count(DISTINCT transaction_id) FROM fact_transactions")[0][0], n_rows)
        self.assertEqual(self.wh("SELECT count(*) FROM rejects")[0][0], 0)
        self.assertEqual(self.wh("SELECT status, rows_read FROM load_ledger"), [("loaded", n_rows)])
        # The interrupted run is reported as FAILED, and the job state changes reached the topic.
        states = [r[0] for r in self.state("SELECT state FROM runs ORDER BY started_at")]
        self.assertEqual(states[0], "FAILED")
        self.assertEqual(states[-1], "SUCCEEDED")

    def test_sigterm_during_load_rolls_back_and_stops_cleanly(self):
        self.land_reference_dims()
        rows = [f"TXN{i:08d},C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed" for i in range(200_000)]
        self.land(tx_key(26), rows_csv(rows))
        serve = self.start_serve(env={"ECOMPIPE_TEST_BATCH_DELAY_MS": "30"})
        self.wait_for(lambda: self.state("SELECT count(*) FROM runs WHERE state='RUNNING'")[0][0] > 0,
                      timeout=60, what="the load to start")
        self.assertEqual(self.stop(serve), 0)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 0)
        self.assertEqual(self.state("SELECT state FROM runs"), [("STOPPED",)])
        self.process(expect_rc=0)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 200_000)


class CoalescingTest(PipelineTest):
    def test_job_starts_during_a_run_coalesce_into_one_follow_up_run(self):
        self.land_reference_dims()
        rows = [f"TXN{i:08d},C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed" for i in range(100_000)]
        self.land(tx_key(24), rows_csv(rows))
        serve = self.start_serve(env={"ECOMPIPE_TEST_BATCH_DELAY_MS": "40"})
        self.wait_for(lambda: self.state("SELECT count(*) FROM runs WHERE state='RUNNING'")[0][0] > 0,
                      timeout=60, what="the first run")
        self.land(tx_key(25), rows_csv(VALID_ROWS[:2]))
        self.land(tx_key(26), rows_csv(VALID_ROWS[2:]))
        self.wait_for(lambda: self.wh("SELECT count(*) FROM load_ledger")[0][0] == 3, what="all three loads")
        self.assertEqual(self.stop(serve), 0)
        runs = self.state("""SELECT r.triggers, count(o.key) FROM runs r LEFT JOIN run_objects o USING (run_id)
                             GROUP BY r.run_id ORDER BY r.started_at""")
        # The first run loads day 24; the two crawls that finished during it start one run for both.
        self.assertEqual(runs, [(1, 1), (2, 2)])


class EventsTest(PipelineTest):
    def test_event_sequence_follows_the_original_wiring(self):
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.process(expect_rc=0)
        events = list(reversed(self.cli_json("events", "-n", "100")))
        seq = [(e["source"], e["detail-type"], e["detail"].get("state")) for e in events]
        self.assertEqual(seq[0], ("ecompipe.s3", "Object Created", None))
        self.assertIn(("ecompipe.glue", "Glue Crawler State Change", "Succeeded"), seq)
        job_states = [s for src, dt, s in seq if dt == "Glue Job State Change"]
        self.assertEqual(job_states, ["STARTING", "RUNNING", "SUCCEEDED"])
        created = events[0]
        for field in ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"):
            self.assertIn(field, created)
        self.assertEqual(created["detail"]["object"]["key"], tx_key(26))
        crawl = next(e for e in events if e["detail-type"] == "Glue Crawler State Change")
        self.assertEqual(crawl["detail"]["partition"], {"year": "2026", "month": "11", "day": "26"})
        self.assertEqual(crawl["detail"]["tablesCreated"], "1")

    def test_schema_change_is_detected_and_named(self):
        self.land_reference_dims()
        self.land(tx_key(25), rows_csv(VALID_ROWS[:1]))
        self.process(expect_rc=0)
        extra = "TXN00000009,C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed,web"
        self.land(tx_key(26), (
            "transaction_id,customer_id,product_id,quantity,price,transaction_date,payment_type,status,channel\n"
            + extra + "\n"))
        self.process(expect_rc=0)
        crawls = [e for e in self.cli_json("events", "--type", "Glue Crawler State Change")]
        changed = [e for e in crawls if "schemaChange" in e["detail"]]
        self.assertEqual(len(changed), 1)
        self.assertEqual(changed[0]["detail"]["schemaChange"]["added"], ["channel"])
        self.assertEqual(changed[0]["detail"]["schemaVersion"], 2)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 2)

    def test_dimension_files_with_only_text_columns_load(self):
        # Every column is text, so no type tells the header from the data: it must still load.
        path = os.path.join(self.dir, "c.csv")
        with open(path, "w") as f:
            f.write("customer_id,first_name,last_name,email,membership_level\n"
                    "C1,Ann,Lee,ann@example.com,Gold\nC2,Bo,Kim,bo@example.com,Silver\n")
        self.run_cli("load-dims", "--customers", path, check=True)
        self.land("dimensions/customers/more.csv",
                  "customer_id,first_name,last_name,email,membership_level\nC3,Cy,Wu,cy@example.com,Gold\n")
        self.process(expect_rc=0)
        self.assertEqual(self.wh("SELECT customer_id FROM dim_customers ORDER BY 1"), [("C1",), ("C2",), ("C3",)])

    def test_dimension_files_landed_in_the_bucket_are_upserted(self):
        with open(os.path.join(os.environ.get("EP_TEST_DATA_DIR", ""), "products.csv")) as f:
            self.land("dimensions/products/products.csv", f.read())
        with open(os.path.join(os.environ.get("EP_TEST_DATA_DIR", ""), "customers.csv")) as f:
            self.land("dimensions/customers/customers.csv", f.read())
        self.process(expect_rc=0)
        self.assertEqual(self.wh("SELECT count(*) FROM dim_products")[0][0], 20)
        self.assertEqual(self.wh("SELECT count(*) FROM dim_customers")[0][0], 10)
        self.land("dimensions/products/update.csv",
                  "product_id,product_name,category,price,supplier_id\nP12345,Widget A2,Gadgets,31.50,S123\n")
        self.process(expect_rc=0)
        self.assertEqual(self.wh("SELECT product_name, price, price_cents FROM dim_products WHERE product_id='P12345'"),
                         [("Widget A2", 31.5, 3150)])
