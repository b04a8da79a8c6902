"""What a user sees: the commands' outputs, and notifications to a webhook. Outputs that are the
same on every run (query formats, JSON of status/runs/rejects/catalog, help, did-you-mean, rejects
filters, put of content already loaded) are scenario files: tests/scenarios/cli_*.yaml."""
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
        Receiver.received.append((dict(self.headers, **{"X-Test-Path": self.path}), json.loads(body)))
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

    def test_init_writes_the_default_config_data_file(self):
        # The commented ecompipe.yaml is a data file compiled into the binary; init writes it as is.
        source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "runtime",
                              "default_ecompipe.yaml")
        with open(source, "rb") as f, open(os.path.join(self.dir, "ecompipe.yaml"), "rb") as g:
            self.assertEqual(g.read(), f.read())

    def test_every_command_prints_its_table(self):
        # What the tables hold, as JSON, is scenarios/cli_status_runs_rejects_catalog.yaml; the
        # human tables hold clock readings and durations, so this only checks each prints one.
        for cmd in ("status", "runs", "rejects", "catalog", "events", "notifications"):
            r = self.run_cli(cmd, check=True)
            self.assertTrue(r.stdout.strip(), cmd)


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
        # Deliveries store the URL without its secrets; the post still carries them.
        url = f"http://127.0.0.1:{server.server_address[1]}/landed?token=t0k3n"
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
        self.assertEqual(Receiver.received[0][0]["X-Test-Path"], "/landed?token=t0k3n")
