"""What one small object may cost (issue 14, point 4): a 1 MB gzip of one valid row repeated
4.5 million times used to store 4,499,999 duplicate rejects with their raw text, growing the
warehouse by 2 GB. Past the job's max_stored_rejects the rows are counted by reason, not stored,
the object says so and the run fails; and a compressed object that expands past
max_decoded_ratio is refused with an error naming it."""
import gzip
import os
import re

from harness import PipelineTest, VALID_ROWS, HEADER, tx_key

ROWS = 2_000_000


def repeated_row_gzip():
    """One valid row repeated ROWS times, gzipped: about 450 KB for 134 MB of CSV."""
    text = HEADER + "\n" + (VALID_ROWS[0] + "\n") * ROWS
    return gzip.compress(text.encode(), 9)


class BoundedRejectsTest(PipelineTest):
    def set_job_keys(self, **keys):
        path = os.path.join(self.dir, "ecompipe.yaml")
        with open(path) as f:
            text = f.read()
        for key, value in keys.items():
            text, n = re.subn(rf"(\n    {key}: )\S+", rf"\g<1>{value}", text)
            self.assertEqual(n, 1, key)
        with open(path, "w") as f:
            f.write(text)

    def test_one_row_repeated_millions_of_times_stores_at_most_the_limit(self):
        self.land_reference_dims()
        self.set_job_keys(max_stored_rejects=1000, max_decoded_ratio=0)
        key = tx_key(26, "repeated.csv.gz")
        self.land(key, repeated_row_gzip())
        r = self.process()
        self.assertIn("Processed: 1 job run(s), 1 failed.", r.stdout, r.stderr)

        ledger = self.wh("SELECT rows_read, rows_loaded, rows_rejected, message FROM load_ledger "
                         "WHERE key = ?", key)
        not_stored = ROWS - 1 - 1000
        self.assertEqual(ledger, [(ROWS, 1, ROWS - 1,
                                   f"{not_stored} rejects not stored, beyond max_stored_rejects "
                                   f"1000 (counted by reason: duplicate_transaction_id {not_stored})")])
        self.assertEqual(self.wh("SELECT count(*) FROM rejects"), [(1000,)])
        # The warehouse stays small: 1000 rejects, not 2 million (before: about 1 GB).
        size = sum(os.path.getsize(os.path.join(self.dir, f)) for f in os.listdir(self.dir)
                   if f.startswith("warehouse.db"))
        self.assertLess(size, 8 << 20)

        runs = self.cli_json("runs")
        self.assertEqual(runs[0]["state"], "FAILED")
        obj = runs[0]["objects"][0]
        self.assertEqual((obj["status"], obj["rows_rejected"]), ("loaded", ROWS - 1))
        self.assertIn(f"{not_stored} rejects not stored", obj["message"])
        # The run's notification names the cause, and counts every reject by reason.
        failed = [n["event"]["detail"] for n in self.notifications()
                  if n["event"]["detail"].get("state") == "FAILED"]
        self.assertEqual(len(failed), 1)
        self.assertIn(f"{not_stored} rejects not stored, beyond the job's reject limits",
                      failed[0]["errorMessage"])
        self.assertEqual(failed[0]["rejectReasons"], {"duplicate_transaction_id": ROWS - 1})

    def test_defaults_refuse_the_same_file_as_a_decompression_bomb_naming_it(self):
        self.land_reference_dims()
        key = tx_key(26, "repeated.csv.gz")
        self.land(key, repeated_row_gzip())
        r = self.process()
        self.assertIn("1 failed", r.stdout, r.stderr)
        [(status, message)] = self.wh("SELECT status, message FROM load_ledger WHERE key = ?", key)
        self.assertEqual(status, "failed")
        self.assertIn(key, message)
        self.assertIn("max_decoded_ratio 200", message)
        self.assertEqual(self.wh("SELECT count(*) FROM rejects"), [(0,)])
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions"), [(0,)])
