"""What a run's outcome says must be true: a burst of job starts that find nothing to load makes
no empty runs and no extra notifications. The quality gate's cases (max_reject_rate, min_rows)
and a `process` with nothing new are scenario files: tests/scenarios/quality_gate_*.yaml and
nothing_new_makes_no_run.yaml."""
from harness import PipelineTest, rows_csv, tx_key


def job_notifications(test):
    return [n["event"] for n in test.notifications()
            if n["event"].get("detail-type") == "Glue Job State Change"]


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
