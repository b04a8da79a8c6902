"""Signed webhooks to a real HTTP receiver that verifies the HMAC: retries after 500s, a receiver
that hangs, an outage while `serve` runs and a restart of `serve`, with every notification
delivered exactly once (by delivery id) and every request verifiable."""
import json
import os
import time

from harness import PipelineTest, VALID_ROWS, rows_csv, tx_key
from notify_servers import WebhookReceiver, free_port, set_topics

SECRET = "whsec-test-7f3a"


class SignedWebhookTest(PipelineTest):
    def configure(self, url):
        set_topics(self, f"""topics:
  - name: pipeline-status
    subscriptions:
      - {{type: log, path: notifications.jsonl}}
      - {{name: hook, type: webhook, url: "{url}", secret_env: EP_TEST_HOOK_SECRET}}
""")

    def start_serve(self, env=None):
        return super().start_serve({"EP_TEST_HOOK_SECRET": SECRET, **(env or {})})

    def land_day(self, day):
        self.land(tx_key(day), rows_csv([r.replace("TXN0000000", f"TXN{day:02d}0000") .replace(
            "2026-11-26", f"2026-11-{day:02d}") for r in VALID_ROWS]))

    def hook_notes(self):
        return [n for n in self.cli_json("notifications", "-n", "100") if n["subscription"] == "hook"]

    def delivered_ok(self, receiver):
        """Delivery ids the receiver accepted (verified and answered 2xx)."""
        return [r["headers"]["X-Ecompipe-Delivery"] for r in receiver.requests
                if r["verdict"] == "ok" and r["status"] != "hang" and r["status"] < 300]

    def test_receiver_answering_500_sees_retries_then_one_accepted_delivery(self):
        receiver = WebhookReceiver(SECRET, statuses=[500, 500])
        self.addCleanup(receiver.stop)
        self.configure(receiver.url())
        self.land_reference_dims()
        serve = self.start_serve()
        self.land_day(26)
        self.wait_for(lambda: self.delivered_ok(receiver), timeout=60, what="an accepted delivery")
        self.stop(serve)
        self.assertEqual([r["status"] for r in receiver.requests], [500, 500, 200])
        self.assertTrue(all(r["verdict"] == "ok" for r in receiver.requests),
                        [r["verdict"] for r in receiver.requests])
        ids = {r["headers"]["X-Ecompipe-Delivery"] for r in receiver.requests}
        self.assertEqual(len(ids), 1, "retries carry the same delivery id")
        event = json.loads(receiver.requests[-1]["body"])
        self.assertEqual(event["detail"]["state"], "SUCCEEDED")
        notes = self.hook_notes()
        self.assertEqual([(n["status"], n["attempts"]) for n in notes], [("delivered", 3)])
        # A tampered body or an old timestamp is what a receiver rejects.
        r = receiver.requests[-1]
        self.assertEqual(receiver.verify(r["headers"], r["body"] + b" "), "bad-signature")
        old = dict(r["headers"], **{"X-Ecompipe-Timestamp": str(int(time.time()) - 3600)})
        self.assertEqual(receiver.verify(old, r["body"]), "stale")

    def test_receiver_down_serve_restarted_then_up_loses_and_doubles_nothing(self):
        port = free_port()
        self.configure(f"http://127.0.0.1:{port}/hooks/ecompipe")
        self.land_reference_dims()
        serve = self.start_serve()
        for count, day in enumerate((24, 25), start=1):
            # One day at a time: days landing together would be loaded by one coalesced run.
            self.land_day(day)
            self.wait_for(lambda: len(self.hook_notes()) == count and all(
                int(n["attempts"]) >= 1 for n in self.hook_notes()), timeout=60,
                what=f"failed attempts ({count})")
        # serve restarts while the receiver is still down; more events happen meanwhile.
        self.stop(serve)
        self.land_day(26)
        serve = self.start_serve()
        self.wait_for(lambda: len(self.hook_notes()) == 3, timeout=60, what="third notification")
        self.assertTrue(all(n["status"] == "pending" for n in self.hook_notes()))
        receiver = WebhookReceiver(SECRET, port=port)
        self.addCleanup(receiver.stop)
        self.wait_for(lambda: all(n["status"] == "delivered" for n in self.hook_notes()),
                      timeout=120, what="delivery after the outage")
        time.sleep(2)  # a window in which a double delivery would show
        self.stop(serve)
        notes = self.hook_notes()
        accepted = self.delivered_ok(receiver)
        self.assertEqual(sorted(accepted), sorted(n["id"] for n in notes), "each exactly once")
        days = sorted(json.loads(r["body"])["detail"]["objects"][0]["key"] for r in receiver.requests)
        self.assertEqual(days, [tx_key(d) for d in (24, 25, 26)])
    def test_a_hanging_receiver_times_out_is_retried_and_does_not_stall_the_pipeline(self):
        """A receiver that accepts the connection and never answers costs one timeout per
        attempt; the pipeline keeps loading meanwhile, and the notification arrives once the
        receiver answers again."""
        receiver = WebhookReceiver(SECRET, statuses=["hang", "hang"], hang_s=20)
        self.addCleanup(receiver.stop)
        set_topics(self, f"""topics:
  - name: pipeline-status
    subscriptions:
      - name: hook
        type: webhook
        url: "{receiver.url()}"
        secret_env: EP_TEST_HOOK_SECRET
        timeout: 1s
        backoff_base: 500ms
        backoff_max: 2s
""")
        self.land_reference_dims()
        serve = self.start_serve()
        self.land_day(24)
        self.wait_for(lambda: len(receiver.requests) >= 1, timeout=60, what="the first attempt")
        # While the receiver hangs, the next file still loads.
        self.land_day(25)
        self.wait_for(lambda: self.wh("SELECT count(DISTINCT source_object) FROM fact_transactions")
                      [0][0] == 2, timeout=60, what="the second file loaded")
        self.wait_for(lambda: len(set(self.delivered_ok(receiver))) == 2, timeout=90,
                      what="both notifications accepted")
        self.stop(serve)
        hung = [r for r in receiver.requests if r["status"] == "hang"]
        self.assertEqual(len(hung), 2)
        # Each notification accepted exactly once; the hung attempts were retried with the same id.
        accepted = self.delivered_ok(receiver)
        self.assertEqual(len(accepted), len(set(accepted)))
        self.assertIn(hung[0]["headers"]["X-Ecompipe-Delivery"], accepted)
        notes = self.hook_notes()
        self.assertEqual(sorted(n["status"] for n in notes), ["delivered", "delivered"])
        self.assertEqual(self.cli_json("notifications", "--status", "pending"), [])

