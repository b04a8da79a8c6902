"""Bad input gets a clear answer, and the pipeline goes on: every bad file here lands beside a
good one, and the good one always loads."""
import gzip
import json
import os

from harness import HEADER, PipelineTest, VALID_ROWS, gzip_bytes, rows_csv, tx_key


class BadFilesTest(PipelineTest):
    def land_bad_and_good(self, bad_key, bad_content):
        self.land_reference_dims()
        self.land(bad_key, bad_content)
        self.land(tx_key(27), rows_csv(VALID_ROWS))
        return self.process()

    def assert_good_file_loaded(self):
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions WHERE source_object=?", tx_key(27))[0][0], 4)
        self.assert_nothing_lost()

    def crawler_failure(self, key):
        failed = [e for e in self.cli_json("events", "--type", "Glue Crawler State Change", "-n", "100")
                  if e["detail"]["state"] == "Failed"]
        self.assertEqual(len(failed), 1, failed)
        self.assertIn(key, failed[0]["detail"]["errorMessage"])
        notified = [n for n in self.notifications() if n["event"]["detail"].get("state") == "Failed"]
        self.assertEqual(len(notified), 1)
        return failed[0]["detail"]["errorMessage"]

    def job_failure(self, key):
        ledger = self.wh("SELECT status, message FROM load_ledger WHERE key=?", key)
        self.assertEqual(len(ledger), 1)
        self.assertEqual(ledger[0][0], "failed")
        self.assertIn(key, ledger[0][1])
        failed = [n for n in self.notifications() if n["event"]["detail"]["state"] == "FAILED"]
        self.assertTrue(failed, "a FAILED notification")
        self.assertIn(key, failed[0]["event"]["detail"]["message"])
        return ledger[0][1]

    def test_empty_file_fails_the_crawl_with_its_name(self):
        self.land_bad_and_good(tx_key(26), b"")
        self.assertIn("empty", self.crawler_failure(tx_key(26)))
        self.assert_good_file_loaded()

    def test_header_only_file_loads_zero_rows(self):
        r = self.land_bad_and_good(tx_key(26), HEADER + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.wh("SELECT status, rows_read FROM load_ledger WHERE key=?", tx_key(26)), [("loaded", 0)])
        self.assert_good_file_loaded()

    def test_binary_file_fails_the_crawl(self):
        self.land_bad_and_good(tx_key(26, "photo.csv"), bytes(range(256)) * 64)
        self.crawler_failure(tx_key(26, "photo.csv"))
        self.assert_good_file_loaded()

    def test_truncated_gzip_fails_the_run_and_loads_nothing_of_it(self):
        rows = [f"TXN{i:08d},C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed" for i in range(1, 50001)]
        data = gzip_bytes(rows_csv(rows))
        r = self.land_bad_and_good(tx_key(26, "t.csv.gz"), data[: len(data) // 2])
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        msg = self.job_failure(tx_key(26, "t.csv.gz"))
        self.assertIn("gzip", msg)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions WHERE source_object=?", tx_key(26, "t.csv.gz"))[0][0], 0)
        self.assert_good_file_loaded()

    def test_gzip_json_lines_and_semicolon_files_load(self):
        self.land_reference_dims()
        self.land(tx_key(24, "t.csv.gz"), gzip_bytes(rows_csv(VALID_ROWS[:1])))
        cols = HEADER.split(",")
        jsonl = "".join(json.dumps(dict(zip(cols, r.split(",")))) + "\n" for r in VALID_ROWS[1:2])
        self.land(tx_key(25, "t.jsonl.gz"), gzip.compress(jsonl.encode()))
        self.land(tx_key(26, "t.csv"), rows_csv(VALID_ROWS[2:]).replace(",", ";"))
        self.process(expect_rc=0)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 4)
        formats = {e["detail"]["object"]["key"]: (e["detail"]["format"], e["detail"]["compression"])
                   for e in self.cli_json("events", "--type", "Glue Crawler State Change")}
        self.assertEqual(formats[tx_key(25, "t.jsonl.gz")], ("jsonl", "gzip"))
        self.assertEqual(formats[tx_key(24, "t.csv.gz")], ("csv", "gzip"))

    def test_json_lines_bad_lines_are_rejected_with_their_lines(self):
        """A gzip'd JSON Lines file with a BOM, CRLF, blank lines, bad lines and a truncated last
        line: good lines load, each bad one is a reject on its own line, nothing is lost."""
        self.land_reference_dims()
        cols = HEADER.split(",")
        good = [dict(zip(cols, r.split(","))) for r in VALID_ROWS]
        good[1]["quantity"] = 2  # a JSON number
        lines = ["\ufeff" + json.dumps(good[0]) + "\r",                   # 1
                 "",                                                        # 2: blank
                 json.dumps(good[1]),                                       # 3
                 "[1, 2, 3]",                                               # 4: not an object
                 json.dumps({**good[2], "status": {"nested": True}}),       # 5: wrong type
                 json.dumps({**good[2], "customer_id": "C99999"}),          # 6: unknown id
                 json.dumps(good[3], ensure_ascii=False).replace("Credit", "Crédit"),  # 7
                 json.dumps(good[2])[:40]]                                  # 8: truncated, no LF
        key = tx_key(25, "t.jsonl.gz")
        self.land(key, gzip.compress("\n".join(lines).encode()))
        self.process(expect_rc=0)
        self.assertEqual(self.wh("SELECT transaction_id, payment_type FROM fact_transactions "
                                 "WHERE source_object=? ORDER BY transaction_id", key),
                         [("TXN00000001", "Credit Card"), ("TXN00000002", "Debit Card"),
                          ("TXN00000004", "Crédit Card")])
        rejects = self.wh("SELECT line, reason, detail FROM rejects WHERE source_object=? ORDER BY line", key)
        self.assertEqual(rejects, [
            (4, "malformed_record", "not a JSON object"),
            (5, "malformed_record", "value of 'status' is not a string, number, boolean or null"),
            (6, "unknown_customer_id", "customer_id 'C99999' is not in the customers table"),
            (8, "malformed_record", "not valid JSON")])
        self.assertEqual(self.wh("SELECT rows_read FROM load_ledger WHERE key=?", key), [(7,)])
        self.assert_nothing_lost()

    def test_missing_required_column_fails_the_run_naming_it(self):
        content = "transaction_id,customer_id,product_id,quantity,transaction_date,payment_type,status\n" \
                  "TXN00000009,C12345,P12345,1,2026-11-26,Credit Card,Completed\n"
        r = self.land_bad_and_good(tx_key(26), content)
        self.assertEqual(r.returncode, 2)
        msg = self.job_failure(tx_key(26))
        self.assertIn("price", msg)
        self.assert_good_file_loaded()

    def test_row_level_problems_become_rejects_with_reasons(self):
        rows = [
            "TXN00000011,C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed,extra",  # too many
            "TXN00000012,C12345,P12345,1,29.99,2026-11-26,Credit Card",                  # too few
            "TXN00000013,C12345,P12345,1,29.99,2026-11-26,Credit Card,Compl\xe9ted".encode("latin-1").decode("latin-1"),
            "TXN00000014,C12345,P12345,1,29.99,2026-11-26,Credit\x00Card,Completed",
            "TXN00000015,C12345,P12345,1,29.99,2026-11-26,Credit Card," + "x" * (10 * 1024 * 1024),
            "TXN00000016,C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed",      # fine
        ]
        data = (HEADER + "\n").encode()
        for r in rows:
            data += r.encode("latin-1") + b"\n"
        self.land_bad_and_good(tx_key(26), data)
        got = dict(((line, reason) for line, reason in
                    self.wh("SELECT line, reason FROM rejects WHERE source_object=?", tx_key(26))))
        self.assertEqual(got, {2: "wrong_field_count", 3: "wrong_field_count", 4: "invalid_utf8",
                               5: "nul_byte", 6: "line_too_long"})
        self.assertEqual(self.wh("SELECT transaction_id FROM fact_transactions WHERE source_object=?", tx_key(26)),
                         [("TXN00000016",)])
        raw = self.wh("SELECT length(raw) FROM rejects WHERE reason='line_too_long'")[0][0]
        self.assertLessEqual(raw, 64 * 1024)
        self.assert_good_file_loaded()

    def test_put_refuses_a_key_with_dot_dot(self):
        src = os.path.join(self.dir, "x.csv")
        with open(src, "w") as f:
            f.write(rows_csv(VALID_ROWS))
        r = self.run_cli("put", src, "transactions/../../etc/x.csv")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("..", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "etc")))


class BadConfigTest(PipelineTest):
    def write_config(self, text):
        with open(os.path.join(self.dir, "ecompipe.yaml"), "w") as f:
            f.write(text)

    def test_unknown_key_names_line_and_suggests(self):
        with open(os.path.join(self.dir, "ecompipe.yaml")) as f:
            text = f.read()
        self.write_config(text.replace("\nwarehouse:\n", "\nwarehose:\n"))
        r = self.run_cli("status")
        self.assertEqual(r.returncode, 1)
        line = text.split("\n").index("warehouse:") + 1
        self.assertIn(f"ecompipe.yaml:{line}: unknown key 'warehose' (did you mean 'warehouse'?)", r.stderr)

    def test_bad_pattern_is_named(self):
        self.write_config("""
crawlers: [{name: c}]
rules:
  - name: r
    pattern: {source: ecompipe.s3}
    targets: [{type: start_crawler, name: c}]
""")
        r = self.run_cli("status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ecompipe.yaml:5", r.stderr)
        self.assertIn("rule 'r' pattern", r.stderr)

    def test_unknown_target_names_the_choices(self):
        self.write_config("""
rules:
  - name: r
    pattern: {source: [x]}
    targets: [{type: start_jobb, name: j}]
""")
        r = self.run_cli("status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown target type 'start_jobb'", r.stderr)

    def test_missing_config_tells_how_to_create_one(self):
        r = self.run_cli("status", cwd="/")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ecompipe init", r.stderr)
