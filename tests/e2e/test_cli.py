"""What a user sees: the commands' outputs, and notifications to a webhook."""
import csv
import http.server
import io
import json
import os
import re
import threading

from harness import PipelineTest, VALID_ROWS, rows_csv, tx_key


class Receiver(http.server.BaseHTTPRequestHandler):
    received = []
    fail_first = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.fail_first > 0:
            Receiver.fail_first -= 1
            self.send_response(500)
            self.end_headers()
            return
        Receiver.received.append((dict(self.headers), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class CliTest(PipelineTest):
    def setUp(self):
        super().setUp()
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS + ["TXN00000099,C99999,P12345,1,29.99,2026-11-26,Cash,Completed"]))
        self.process(expect_rc=0)

    def test_query_formats(self):
        r = self.run_cli("query", "SELECT transaction_type, count(*) AS n FROM fact_transactions "
                                  "GROUP BY 1 ORDER BY 1", "--format", "json", check=True)
        self.assertEqual(json.loads(r.stdout), [{"transaction_type": "Large", "n": 1},
                                                {"transaction_type": "Medium", "n": 1},
                                                {"transaction_type": "Small", "n": 2}])
        r = self.run_cli("query", "SELECT transaction_id, total_amount FROM fact_transactions ORDER BY 1",
                         "--format", "csv", check=True)
        self.assertEqual(r.stdout.splitlines()[:3], ["transaction_id,total_amount", "TXN00000001,89.97",
                                                     "TXN00000002,99.98"])
        r = self.run_cli("query", "SELECT nonsense FROM nowhere")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no such table", r.stderr)

    def test_status_runs_rejects_catalog(self):
        s = self.cli_json("status")
        self.assertEqual(s["warehouse"]["fact_rows"], 4)
        self.assertEqual(s["warehouse"]["reject_rows"], 1)
        self.assertEqual(s["warehouse"]["total_amount"], "1289.84")
        self.assertEqual(s["last_run"]["state"], "SUCCEEDED")
        runs = self.cli_json("runs")
        loaded = [r for r in runs if r["objects"]]
        self.assertEqual(loaded[0]["objects"][0]["key"], tx_key(26))
        self.assertEqual((loaded[0]["rows_read"], loaded[0]["rows_loaded"], loaded[0]["rows_rejected"]), (5, 4, 1))
        rejects = self.cli_json("rejects")
        self.assertEqual(rejects[0]["reason"], "unknown_customer_id")
        self.assertEqual(rejects[0]["line"], 6)
        self.assertIn("TXN00000099", rejects[0]["raw"])
        cat = self.cli_json("catalog")
        self.assertEqual(cat[0]["table"], "transactions")
        self.assertEqual(cat[0]["partitions"], 1)
        types = {c["name"]: c["type"] for c in cat[0]["columns"]}
        self.assertEqual(types["quantity"], "bigint")
        self.assertEqual(types["transaction_date"], "date")
        for cmd in ("status", "runs", "rejects", "catalog", "events", "notifications"):
            r = self.run_cli(cmd, check=True)
            self.assertTrue(r.stdout.strip(), cmd)

    def test_help_teaches(self):
        r = self.run_cli("--help", check=True)
        for word in ("init", "generate", "put", "load-dims", "serve", "process", "query", "status", "runs",
                     "events", "rejects", "catalog"):
            self.assertIn(word, r.stdout)
        r = self.run_cli("frobnicate")
        self.assertNotEqual(r.returncode, 0)


class TrustworthyAnswersTest(PipelineTest):
    """Ids and names the commands show can be typed back (issue 12, point 7)."""

    LONG_NAME = "transaction_2026-11-26_second_shop_export.csv"

    def setUp(self):
        super().setUp()
        self.land_reference_dims()

    def run_ids_as_printed(self):
        """The 'run' column of `ecompipe runs`, as a user would copy it."""
        out = self.run_cli("runs", check=True).stdout
        table = out.split("\n\n")[0].splitlines()[2:-1]
        return [line.split()[0] for line in table]

    def write(self, name, content):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(content)
        return path

    def test_a_run_id_as_the_table_prints_it_names_the_run(self):
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.process(expect_rc=0)
        self.land(tx_key(27), rows_csv(VALID_ROWS[:2]).replace("TXN00000002", "TXN00000102"))
        self.process(expect_rc=0)
        shown = self.run_ids_as_printed()
        full = {r["run_id"] for r in self.cli_json("runs")}
        self.assertGreaterEqual(len(shown), 2)
        for short in shown:
            self.assertRegex(short, r"^jr_[0-9a-f]{12}$")
            one = self.cli_json("runs", short)
            self.assertEqual(len(one), 1)
            self.assertTrue(one[0]["run_id"].startswith(short))
            self.assertIn(one[0]["run_id"], full)
        r = self.run_cli("runs", "jr_")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("ambiguous", r.stderr)
        self.assertIn(shown[0], r.stderr)
        # rejects --run takes it too: the rows of the objects that run loaded.
        day_27_run = next(r["run_id"] for r in self.cli_json("runs") if r["objects"] and
                          r["objects"][0]["key"] == tx_key(27))
        rows = self.cli_json("rejects", "--run", day_27_run[:15])
        self.assertEqual([(x["object"], x["reason"]) for x in rows], [(tx_key(27), "duplicate_transaction_id")])
        self.assertEqual(self.run_cli("rejects", "--run", "jr_").returncode, 1)
        r = self.run_cli("runs", "jr_zzzz")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no run jr_zzzz", r.stderr)

    def test_long_keys_keep_their_file_name_and_wide_shows_them_whole(self):
        key = tx_key(26, self.LONG_NAME)
        self.land(key, rows_csv(VALID_ROWS + ["TXN00000099,C99999,P12345,1,29.99,2026-11-26,Cash,Completed"]))
        self.process(expect_rc=0)
        for cmd in (("runs",), ("rejects",)):
            out = self.run_cli(*cmd, check=True).stdout
            self.assertNotIn(key, out, cmd)
            self.assertIn("…/" + self.LONG_NAME, out, cmd)
            self.assertIn(key, self.run_cli(*cmd, "--wide", check=True).stdout, cmd)
        full_id = self.cli_json("runs")[0]["run_id"]
        self.assertIn(full_id, self.run_cli("runs", "--wide", check=True).stdout)

    def land_two_days(self):
        """Day 26: an unknown customer; day 27 (same file name in another folder): a bad quantity."""
        self.land(tx_key(26), rows_csv(VALID_ROWS + ["TXN00000099,C99999,P12345,1,29.99,2026-11-26,Cash,Completed"]))
        self.land(tx_key(27, "transaction_2026-11-27.csv"),
                  rows_csv(["TXN00000201,C12345,P12345,0,29.99,2026-11-27,Cash,Completed",
                            "TXN00000202,C12345,P12345,-1,29.99,2026-11-27,Cash,Completed"]))
        self.process(expect_rc=2)  # day 27 is all rejects: the run breaks the quality gate

    def test_the_per_reason_summary_follows_the_filters(self):
        self.land_two_days()
        summary = self.run_cli("rejects", "--object", tx_key(26), check=True).stdout.split("\n\n")[0]
        self.assertIn("Rejects by reason (object " + tx_key(26) + ")", summary)
        self.assertIn("unknown_customer_id", summary)
        self.assertNotIn("invalid_quantity", summary)
        out = self.run_cli("rejects", "--reason", "invalid_quantity", "-n", "1", check=True).stdout
        self.assertNotIn("unknown_customer_id", out)
        self.assertIn("The first 1 of 2", out)

    def test_rejects_object_takes_a_file_name(self):
        self.land_two_days()
        rows = self.cli_json("rejects", "--object", "transaction_2026-11-27.csv")
        self.assertEqual([(r["object"], r["reason"]) for r in rows],
                         [(tx_key(27, "transaction_2026-11-27.csv"), "invalid_quantity")] * 2)
        self.assertEqual(self.cli_json("rejects", "--object", tx_key(26))[0]["reason"], "unknown_customer_id")
        r = self.run_cli("rejects", "--object", "nothing_like_it.csv")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no object nothing_like_it.csv", r.stderr)

    def test_rejects_object_file_name_shared_by_two_keys_is_ambiguous(self):
        self.land_two_days()
        self.land(tx_key(28, "transaction_2026-11-26.csv"),
                  rows_csv(["TXN00000301,C99999,P12345,1,29.99,2026-11-26,Cash,Completed"]))
        self.process(expect_rc=2)  # all rejects: the quality gate
        r = self.run_cli("rejects", "--object", "transaction_2026-11-26.csv")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("ambiguous", r.stderr)
        self.assertIn(tx_key(26), r.stderr)
        self.assertIn(tx_key(28, "transaction_2026-11-26.csv"), r.stderr)

    def test_an_unknown_reason_lists_the_valid_ones(self):
        self.land_two_days()
        r = self.run_cli("rejects", "--reason", "unknown_custmer_id")
        self.assertEqual(r.returncode, 64, r.stdout + r.stderr)
        self.assertIn("did you mean 'unknown_customer_id'?", r.stderr)
        for valid in ("invalid_quantity", "duplicate_transaction_id", "wrong_field_count"):
            self.assertIn(valid, r.stderr)
        # A valid reason no row has is an empty answer, not an error.
        self.assertEqual(self.cli_json("rejects", "--reason", "invalid_price"), [])

    def test_every_table_prints_as_csv_and_json(self):
        self.land_two_days()
        for cmd in ("runs", "events", "rejects", "catalog", "notifications", "query"):
            args = (cmd, "SELECT 1 AS one") if cmd == "query" else (cmd,)
            r = self.run_cli(*args, "--format", "csv", check=True)
            table = list(csv.reader(io.StringIO(r.stdout)))
            self.assertGreaterEqual(len(table), 2, cmd)
            self.assertTrue(all(len(row) == len(table[0]) for row in table), cmd)
            self.assertIsInstance(json.loads(self.run_cli(*args, "--format", "json", check=True).stdout), list, cmd)
        rejects = self.cli_json("rejects", "--object", tx_key(26))
        self.assertEqual(list(rejects[0].keys()), ["object", "line", "reason", "detail", "raw"])
        self.assertEqual(rejects[0]["line"], 6)
        notes = json.loads(self.run_cli("notifications", "--format", "json", check=True).stdout)
        self.assertIsInstance(notes[0]["attempts"], int)
        runs = list(csv.DictReader(io.StringIO(self.run_cli("runs", "--format", "csv", check=True).stdout)))
        loaded = [r for r in runs if r["object_key"]]
        self.assertEqual(sorted(r["object_key"] for r in loaded),
                         sorted([tx_key(26), tx_key(27, "transaction_2026-11-27.csv")]))
        self.assertTrue(all(re.fullmatch(r"jr_[0-9a-f]{64}", r["run_id"]) for r in runs))
        r = self.run_cli("runs", "--format", "xml")
        self.assertEqual(r.returncode, 64)

    def test_a_mistyped_command_gets_did_you_mean(self):
        for args, word, suggestion in ((("rnus",), "rnus", "runs"), (("rejcts", "--json"), "rejcts", "rejects"),
                                       (("-c", "ecompipe.yaml", "stauts"), "stauts", "status"),
                                       (("stat",), "stat", "status"),
                                       (("notifications", "redriev", "--all"), "redriev", "redrive")):
            r = self.run_cli(*args)
            self.assertEqual(r.returncode, 64, args)
            self.assertIn(f"unknown command '{word}'", r.stderr, args)
            self.assertIn(f"did you mean '{suggestion}'?", r.stderr, args)
        r = self.run_cli("runs", "--jsn")
        self.assertEqual(r.returncode, 64)
        self.assertIn("unknown option '--jsn' for ecompipe runs (did you mean '--json'?)", r.stderr)
        # The options before the command work after it too.
        self.assertEqual(self.run_cli("runs", "-c", "ecompipe.yaml", "-q", "--json", check=True).stdout.strip(), "[]")
        r = self.run_cli("frobnicate")
        self.assertEqual(r.returncode, 64)
        self.assertIn("unknown command 'frobnicate'", r.stderr)
        self.assertIn("runs", r.stderr)

    def test_putting_the_same_bytes_again_says_already_loaded(self):
        day = self.write("day.csv", rows_csv(VALID_ROWS))
        r = self.run_cli("put", day, tx_key(26), check=True)
        self.assertNotIn("already", r.stdout + r.stderr)
        self.process(expect_rc=0)
        r = self.run_cli("put", day, tx_key(26), check=True)
        m = re.search(r"already loaded \(run (jr_[0-9a-f]+)", r.stdout)
        self.assertTrue(m, r.stdout)
        self.assertEqual(self.cli_json("runs", m.group(1))[0]["objects"][0]["key"], tx_key(26))
        # The same bytes under a new key are a new object: they load, and put says so.
        r = self.run_cli("put", day, tx_key(27), check=True)
        self.assertNotIn("already loaded (", r.stdout)
        self.assertIn("identical content was already loaded as " + tx_key(26), r.stderr)
        self.assertIn(m.group(1), r.stderr)
        self.process(expect_rc=2)  # every row a duplicate: the run breaks the quality gate
        self.assertEqual({x["reason"] for x in self.cli_json("rejects", "--object", tx_key(27))},
                         {"duplicate_transaction_id"})

    def serve_log(self):
        with open(os.path.join(self.dir, "serve-0.log")) as f:
            return f.read()

    def test_serve_logs_content_landing_again(self):
        serve = self.start_serve()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.wait_for(lambda: self.wh("SELECT count(*) FROM load_ledger")[0][0] == 1, timeout=120,
                      what="the first load")
        run_id = self.wh("SELECT run_id FROM load_ledger")[0][0]
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.wait_for(lambda: "Object landed again with content already loaded" in self.serve_log(), timeout=60,
                      what="the landed-again line")
        self.land(tx_key(27), rows_csv(VALID_ROWS))
        self.wait_for(lambda: "has the content of one already loaded" in self.serve_log(), timeout=60,
                      what="the copy warning")
        self.stop(serve)
        log = self.serve_log()
        self.assertIn(f"key={tx_key(26)} etag=", log)
        self.assertIn(f"run_id={run_id}", log)
        self.assertIn(f"key={tx_key(27)} copy_of={tx_key(26)} run_id={run_id}", log)


class WebhookTest(PipelineTest):
    def test_job_state_changes_reach_a_webhook_after_a_500(self):
        server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        Receiver.received = []
        Receiver.fail_first = 1
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        path = os.path.join(self.dir, "ecompipe.yaml")
        with open(path) as f:
            text = f.read()
        text = text.replace("      - {type: log, path: notifications.jsonl}\n",
                            "      - {type: log, path: notifications.jsonl}\n"
                            f"      - {{type: webhook, url: \"{url}\"}}\n")
        text += "retry: {base_delay_ms: 50, max_delay_ms: 200}\n"
        with open(path, "w") as f:
            f.write(text)
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        serve = self.start_serve()
        self.wait_for(lambda: Receiver.received, timeout=60, what="the webhook delivery")
        self.stop(serve)
        headers, event = Receiver.received[0]
        self.assertEqual(event["detail-type"], "Glue Job State Change")
        self.assertEqual(event["detail"]["state"], "SUCCEEDED")
        self.assertIn("X-Ecompipe-Delivery", headers)

    def test_a_rule_can_post_events_to_a_webhook(self):
        server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        Receiver.received = []
        Receiver.fail_first = 0
        url = f"http://127.0.0.1:{server.server_address[1]}/landed"
        with open(os.path.join(self.dir, "ecompipe.yaml"), "a") as f:
            f.write(f"""
  - name: csv-landed-to-webhook
    pattern: {{source: [ecompipe.s3], detail: {{object: {{key: [{{suffix: .csv}}]}}}}}}
    targets: [{{type: webhook, url: "{url}"}}]
""")
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.land("notes/readme.txt", "not a csv")
        self.process(expect_rc=0)
        keys = [e["detail"]["object"]["key"] for _, e in Receiver.received]
        self.assertEqual(keys, [tx_key(26)])
        self.assertEqual(Receiver.received[0][0]["X-Ecompipe-Rule"], "csv-landed-to-webhook")
