"""What a run's outcome says must be true: a job start that finds nothing to load makes no run
and no notification, and a run whose objects break the job's quality gate (max_reject_rate,
min_rows) ends FAILED, says why, and makes `process` exit 2."""
import os
import re

from harness import HEADER, PipelineTest, VALID_ROWS, rows_csv, tx_key


def job_notifications(test):
    return [n["event"] for n in test.notifications()
            if n["event"].get("detail-type") == "Glue Job State Change"]


def set_job_keys(test, lines):
    """Adds `lines` (YAML, indented for jobs[0]) after the default job's on_reload line."""
    path = os.path.join(test.dir, "ecompipe.yaml")
    with open(path) as f:
        text = f.read()
    anchor = re.search(r"\n    on_reload: replace[^\n]*\n", text)
    test.assertIsNotNone(anchor)
    # The default file spells the gate's defaults out; the test's lines replace them.
    text = re.sub(r"\n    (max_reject_rate|min_rows): [^\n]*", "", text)
    anchor = re.search(r"\n    on_reload: replace[^\n]*\n", text)
    with open(path, "w") as f:
        f.write(text[:anchor.end()] + lines + text[anchor.end():])


class EmptyStartsTest(PipelineTest):
    def test_a_burst_of_landings_makes_one_run_and_one_notification(self):
        """600 files landed at once: their 600 job starts are dispatched in rounds, and every
        round after the first used to be a run of 0 objects, SUCCEEDED and published."""
        self.land_reference_dims()
        n_files = 600
        for i in range(n_files):
            row = f"TXN{i:08d},C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed"
            self.land(tx_key(26, f"batch_{i:04d}.csv"), rows_csv([row]))
        r = self.process(expect_rc=0)
        self.assertIn("Processed: 1 job run(s), 0 failed.", r.stdout)
        runs = self.state("SELECT r.state, r.triggers, count(o.key) FROM runs r "
                          "LEFT JOIN run_objects o USING (run_id) GROUP BY r.run_id")
        self.assertEqual(len(runs), 1, runs)
        self.assertEqual((runs[0][0], runs[0][2]), ("SUCCEEDED", n_files))
        self.assertEqual([e["detail"]["state"] for e in job_notifications(self)], ["SUCCEEDED"])
        states = [e["detail"]["state"] for e in self.cli_json("events", "--type", "Glue Job State Change",
                                                               "-n", "100")]
        self.assertEqual(sorted(states), ["RUNNING", "STARTING", "SUCCEEDED"])
        # Every start was handled (none left pending), and the log says what the others found.
        self.assertEqual(self.state("SELECT count(*) FROM deliveries WHERE status <> 'done'")[0][0], 0)
        self.assertIn("Job start found nothing to load; no run.", r.stderr + r.stdout)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], n_files)

    def test_process_with_nothing_new_makes_no_run(self):
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.process(expect_rc=0)
        # The same key re-landed with the same bytes: no new version, nothing to load.
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        r = self.process(expect_rc=0)
        self.assertIn("Processed: 0 job run(s), 0 failed.", r.stdout)
        self.assertEqual(self.state("SELECT count(*) FROM runs")[0][0], 1)
        self.assertEqual(len(job_notifications(self)), 1)


class QualityGateTest(PipelineTest):
    def rows(self, n, first=1):
        return [f"TXN{i:08d},C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed"
                for i in range(first, first + n)]

    def failed_run(self):
        runs = self.cli_json("runs")
        self.assertEqual(runs[0]["state"], "FAILED", runs[0])
        failed = [e for e in job_notifications(self) if e["detail"]["state"] == "FAILED"]
        self.assertEqual(len(failed), 1, job_notifications(self))
        return runs[0], failed[0]["detail"]

    def test_transactions_landed_before_the_dimensions_fail_the_run_and_stay_loaded(self):
        key = tx_key(26)
        self.land(key, rows_csv(self.rows(1000)))       # no dimensions loaded yet
        r = self.process(expect_rc=2)
        self.assertIn("1 failed", r.stdout)
        run, detail = self.failed_run()
        self.assertEqual((detail["rowsRead"], detail["rowsLoaded"], detail["rowsRejected"]), (1000, 0, 1000))
        error = detail["errorMessage"]
        for want in ("quality gate", key, "1000 of 1000 rows rejected (100%)", "max_reject_rate 0.5",
                     "0 rows loaded, below min_rows 1", "top reasons: unknown_"):
            self.assertIn(want, error)
        self.assertIn(error, detail["message"])
        self.assertEqual(detail["severity"], "ERROR")
        # The object is named, with the cause, in the run's own record.
        self.assertIn("quality gate: 1000 of 1000 rows rejected", run["objects"][0]["message"])
        # Policy: the gated object stays loaded (its rejects kept, the ledger says loaded), so
        # it is not retried; nothing is lost.
        self.assertEqual(self.wh("SELECT status FROM load_ledger WHERE key=?", key), [("loaded",)])
        self.assertEqual(self.wh("SELECT count(*) FROM rejects WHERE source_object=?", key)[0][0], 1000)
        self.assert_nothing_lost()
        self.process(expect_rc=0)                         # nothing new: no run, no new notification
        self.assertEqual(len(job_notifications(self)), 1)

    def test_the_same_file_under_a_new_name_is_all_duplicates_and_fails(self):
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(self.rows(1000)))
        self.process(expect_rc=0)
        self.land(tx_key(26, "copy_of_transactions.csv"), rows_csv(self.rows(1000)))
        self.process(expect_rc=2)
        _, detail = self.failed_run()
        self.assertIn(tx_key(26, "copy_of_transactions.csv"), detail["errorMessage"])
        self.assertIn("top reasons: duplicate_transaction_id 1000", detail["errorMessage"])
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 1000)
        self.assert_nothing_lost()

    def test_rejects_under_the_rate_succeed_over_it_fail(self):
        self.land_reference_dims()
        bad = "TXN{:08d},C99999,P12345,1,29.99,2026-11-26,Credit Card,Completed"
        # 40% rejected: under the default 0.5, a success (with its rejects).
        self.land(tx_key(25), rows_csv(self.rows(6) + [bad.format(i) for i in range(100, 104)]))
        self.process(expect_rc=0)
        # 60% rejected: over it.
        self.land(tx_key(26), rows_csv(self.rows(4, 200) + [bad.format(i) for i in range(300, 306)]))
        self.process(expect_rc=2)
        _, detail = self.failed_run()
        self.assertIn("6 of 10 rows rejected (60%), above max_reject_rate 0.5; top reasons: "
                      "unknown_customer_id 6", detail["errorMessage"])
        self.assertNotIn("min_rows", detail["errorMessage"])

    def test_a_bad_file_fails_its_run_even_beside_good_ones(self):
        """The gate is per object: a run's totals (which depend on how starts coalesced) would
        let 1000 good rows hide a file of nothing but rejects."""
        self.land_reference_dims()
        self.land(tx_key(25), rows_csv(self.rows(1000)))
        self.land(tx_key(26), rows_csv([r.replace("C12345", "C99999") for r in self.rows(10, 5000)]))
        self.process(expect_rc=2)
        run, detail = self.failed_run()
        self.assertEqual(len(run["objects"]), 2)
        self.assertIn(tx_key(26), detail["errorMessage"])
        self.assertNotIn(tx_key(25), detail["errorMessage"])

    def test_thresholds_are_per_job_settings(self):
        set_job_keys(self, "    max_reject_rate: 1\n    min_rows: 0\n")
        self.land(tx_key(26), rows_csv(self.rows(10)))    # no dimensions: every row rejected
        self.process(expect_rc=0)
        self.assertEqual(self.cli_json("runs")[0]["state"], "SUCCEEDED")

    def test_min_rows_fails_a_small_file(self):
        set_job_keys(self, "    min_rows: 100\n")
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(self.rows(99)))
        self.process(expect_rc=2)
        _, detail = self.failed_run()
        self.assertIn(tx_key(26) + ": 99 rows loaded, below min_rows 100", detail["errorMessage"])

    def test_a_bad_threshold_is_refused_with_its_line(self):
        set_job_keys(self, "    max_reject_rate: 5%\n")
        r = self.run_cli("process")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stderr, r"ecompipe\.yaml:\d+: 'jobs\[0\]\.max_reject_rate' must be a fraction")
