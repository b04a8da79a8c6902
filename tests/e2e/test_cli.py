"""What a user sees: the commands' outputs, and notifications to a webhook."""
import http.server
import json
import os
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
        self.assertEqual(json.loads(r.stdout), [{"transaction_type": "Large", "n": "1"},
                                                {"transaction_type": "Medium", "n": "1"},
                                                {"transaction_type": "Small", "n": "2"}])
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
        self.assertEqual(rejects[0]["line"], "6")
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
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.land("notes/readme.txt", "not a csv")
        self.process(expect_rc=0)
        keys = [e["detail"]["object"]["key"] for _, e in Receiver.received]
        self.assertEqual(keys, [tx_key(26)])
        self.assertEqual(Receiver.received[0][0]["X-Ecompipe-Rule"], "csv-landed-to-webhook")
