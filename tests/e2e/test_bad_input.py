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

    def test_header_only_file_loads_zero_rows_and_fails_the_quality_gate(self):
        r = self.land_bad_and_good(tx_key(26), HEADER + "\n")
        # Loading nothing is below the job's min_rows (1): the run says so and exits 2.
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(self.wh("SELECT status, rows_read FROM load_ledger WHERE key=?", tx_key(26)), [("loaded", 0)])
        failed = [n["event"]["detail"] for n in self.notifications() if n["event"]["detail"].get("state") == "FAILED"]
        self.assertEqual(len(failed), 1)
        self.assertIn(tx_key(26) + ": 0 rows loaded (the object has no rows), below min_rows 1",
                      failed[0]["errorMessage"])
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
        self.process(expect_rc=2)  # 4 of 7 lines rejected on purpose: over max_reject_rate 0.5
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


# Columns in another order than the job's (and the reference file's).
REORDERED = ["status", "price", "transaction_id", "quantity", "customer_id", "transaction_date",
             "product_id", "payment_type"]


def reordered_row(tid, customer="C12345", product="P12345", quantity="3", price="29.99",
                  date="2026-11-26", payment="Credit Card", status="Completed"):
    values = {"transaction_id": tid, "customer_id": customer, "product_id": product,
              "quantity": quantity, "price": price, "transaction_date": date,
              "payment_type": payment, "status": status}
    return ",".join(values[c] for c in REORDERED)


class HeaderTest(PipelineTest):
    """Whether a CSV file's first row is a header: the crawler decides (or is told by the
    crawler's `header` setting), records it in the catalog, and the job reads by that."""

    def set_crawler_header(self, mode):
        path = os.path.join(self.dir, "ecompipe.yaml")
        with open(path) as f:
            text = f.read()
        old = "    header: detect "
        if old not in text:
            self.fail("the configuration `ecompipe init` wrote has no crawler header setting")
        with open(path, "w") as f:
            f.write(text.replace(old, f"    header: {mode} ", 1))

    def catalog_schema(self, key):
        rows = self.state("SELECT schema_json FROM catalog_objects WHERE key=? AND status='crawled'", key)
        self.assertEqual(len(rows), 1, rows)
        return json.loads(rows[0][0])

    def table(self):
        tables = self.cli_json("catalog")
        self.assertEqual([t["table"] for t in tables], ["transactions"])
        return tables[0]

    def test_every_row_bad_and_columns_reordered_loads_nothing_wrong(self):
        """Regression: every row has a bad value, so every column is a string to the type
        inference, and the header was taken as data: line 1 became a malformed_transaction_id
        reject and the columns were read by position (status as transaction_id, ...)."""
        self.land_reference_dims()
        key = tx_key(26)
        rows = [reordered_row("TXN00000101", quantity="two"),      # line 2
                reordered_row("TXN00000102", price="abc"),         # line 3
                reordered_row("TXN00000103", date="2026-13-45"),   # line 4
                reordered_row("TXN00000104", customer="X12345"),   # line 5
                reordered_row("TXN00000105", product="P99999")]    # line 6
        self.land(key, ",".join(REORDERED) + "\n" + "".join(r + "\n" for r in rows))
        self.process(expect_rc=2)  # every row rejected on purpose: the run breaks the quality gate
        self.assertTrue(self.catalog_schema(key)["has_header"])
        rejects = self.wh("SELECT line, reason, transaction_id FROM rejects WHERE source_object=? ORDER BY line", key)
        self.assertEqual(rejects, [(2, "invalid_quantity", "TXN00000101"),
                                   (3, "invalid_price", "TXN00000102"),
                                   (4, "invalid_date", "TXN00000103"),
                                   (5, "malformed_customer_id", "TXN00000104"),
                                   (6, "unknown_product_id", "TXN00000105")])
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 0)
        self.assertEqual(self.wh("SELECT rows_read FROM load_ledger WHERE key=?", key), [(5,)])
        self.assertEqual([c["name"] for c in self.table()["columns"]], REORDERED)
        self.assert_nothing_lost()

    def test_mostly_bad_reordered_file_loads_its_good_row_by_name(self):
        self.land_reference_dims()
        key = tx_key(26)
        rows = [reordered_row("TXN00000201", quantity="x"),
                reordered_row("TXN00000202", price="1.2.3"),
                reordered_row("TXN00000203", customer="C12346", product="P12348", quantity="5",
                              price="99.99", payment="Debit Card")]
        # Mixed case, spaces and quotes in the header's names: the same columns.
        header = 'STATUS, Price ,"Transaction_ID",quantity,Customer_Id,transaction_date,product_id,payment_type'
        self.land(key, header + "\n" + "".join(r + "\n" for r in rows))
        self.process(expect_rc=2)  # 2 of 3 rows rejected on purpose: over max_reject_rate 0.5
        self.assertEqual(self.wh("SELECT transaction_id, customer_id, product_id, quantity, total_amount, "
                                 "transaction_type, payment_type, status FROM fact_transactions"),
                         [("TXN00000203", "C12346", "P12348", 5, 499.95, "Medium", "Debit Card", "Completed")])
        self.assertEqual(self.wh("SELECT line, reason FROM rejects ORDER BY line"),
                         [(2, "invalid_quantity"), (3, "invalid_price")])
        # The table keeps one spelling: the header's case adds or removes no column.
        self.assertEqual([c["name"] for c in self.table()["columns"]], REORDERED)
        self.land(tx_key(27), rows_csv(VALID_ROWS))
        self.process(expect_rc=0)
        table = self.table()
        self.assertEqual(sorted(c["name"] for c in table["columns"]), sorted(REORDERED))
        for version in table["schema_history"]:
            self.assertNotIn("added", version["change"], table["schema_history"])
            self.assertNotIn("removed", version["change"], table["schema_history"])
        self.assert_nothing_lost()

    def headed_then_headerless(self, mode=None):
        """The table's first file has a header in REORDERED order; then a headerless file in the
        same order lands (with the crawler's header set to `mode`, when given)."""
        self.land_reference_dims()
        self.land(tx_key(25), ",".join(REORDERED) + "\n" + reordered_row("TXN00000301") + "\n")
        self.process(expect_rc=0)
        if mode:
            self.set_crawler_header(mode)
        key = tx_key(26)
        self.land(key, reordered_row("TXN00000302", customer="C12346", product="P12348", quantity="6",
                                     price="99.99") + "\n" +
                  reordered_row("TXN00000303", quantity="2", price="49.99", payment="Cash on Delivery") + "\n")
        self.process(expect_rc=0)
        self.assertFalse(self.catalog_schema(key)["has_header"])
        self.assertEqual(self.wh("SELECT transaction_id, customer_id, quantity, total_amount, transaction_type, "
                                 "payment_type FROM fact_transactions WHERE source_object=? ORDER BY transaction_id", key),
                         [("TXN00000302", "C12346", 6, 599.94, "Large", "Credit Card"),
                          ("TXN00000303", "C12345", 2, 99.98, "Small", "Cash on Delivery")])
        self.assertEqual(self.wh("SELECT count(*) FROM rejects")[0][0], 0)
        table = self.table()
        self.assertEqual([c["name"] for c in table["columns"]], REORDERED)
        self.assertEqual(table["schema_version"], 1, table["schema_history"])
        self.assert_nothing_lost()

    def test_headerless_file_after_a_headed_one_keeps_the_tables_columns(self):
        """Regression: one headerless file renamed the catalog table's columns to col0..col7."""
        self.headed_then_headerless()

    def test_header_absent_loads_by_the_tables_column_order(self):
        self.headed_then_headerless("absent")

    def test_header_present_takes_the_first_row_as_the_header(self):
        """Names the table does not know over all-string rows: detected, the row is data (Glue's
        rule); `header: present` makes it the header, and the job names what it lacks."""
        self.land_reference_dims()
        self.set_crawler_header("present")
        key = tx_key(26)
        self.land(key, "id,client,item,qty,amount,day,paid_by,state\n"
                       "TXN00000401,C12345,P12345,x,29.99,2026-11-26,Credit Card,Completed\n"
                       "TXN00000402,C12345,P12345,1,y,26/11/2026,Credit Card,Completed\n")
        self.process(expect_rc=2)
        schema = self.catalog_schema(key)
        self.assertTrue(schema["has_header"])
        self.assertEqual([c["name"] for c in schema["columns"]],
                         ["id", "client", "item", "qty", "amount", "day", "paid_by", "state"])
        ledger = self.wh("SELECT status, message FROM load_ledger WHERE key=?", key)
        self.assertEqual(ledger[0][0], "failed")
        self.assertIn("line 1", ledger[0][1])
        self.assertIn("missing required column 'transaction_id'", ledger[0][1])
        self.assertEqual(self.wh("SELECT count(*) FROM rejects")[0][0], 0)

    def test_header_setting_is_checked(self):
        self.set_crawler_header("maybe")
        r = self.process()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("'maybe'", r.stderr)
        self.assertIn("detect, present, absent", r.stderr)
