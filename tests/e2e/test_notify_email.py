"""Email notifications delivered to a real SMTP server (aiosmtpd) and parsed back: subject,
counts, MIME parts, Date, Message-ID; AUTH with the password from an environment variable; an
SNS-style filter policy; and an SMTP outage that loses and doubles nothing."""
import email.utils
import os
import re
import subprocess
import time
import unittest

from harness import PipelineTest, VALID_ROWS, rows_csv, tx_key
from notify_servers import SmtpSink, find_python_with, make_test_certificate, requires, set_topics

PASSWORD = "correct horse battery staple"

requires_aiosmtpd = requires(
    find_python_with("aiosmtpd", "EP_AIOSMTPD_PYTHON"),
    "no Python with aiosmtpd (apt-get install python3-aiosmtpd, or set EP_AIOSMTPD_PYTHON)")


@requires_aiosmtpd
class EmailNotificationTest(PipelineTest):
    def setUp(self):
        super().setUp()
        self.sink = SmtpSink(user="ecompipe", password=PASSWORD)
        self.addCleanup(self.sink.cleanup)
        set_topics(self, f"""topics:
  - name: pipeline-status
    subscriptions:
      - {{type: log, path: notifications.jsonl}}
      - name: team
        type: email
        url: smtp://127.0.0.1:{self.sink.port}
        from: "ecompipe <ecompipe@shop.example>"
        to: [data-team@shop.example, "Ops <ops@shop.example>"]
        username: ecompipe
        password_env: EP_TEST_SMTP_PASSWORD
        dashboard_url: http://dashboard.shop.example/runs
      - name: oncall
        type: email
        url: smtp://127.0.0.1:{self.sink.port}
        from: ecompipe@shop.example
        to: oncall@shop.example
        username: ecompipe
        password_env: EP_TEST_SMTP_PASSWORD
        filter_policy: {{state: [FAILED, TIMEOUT]}}
""")

    smtp_password = PASSWORD

    def run_cli(self, *args, **kw):
        os.environ["EP_TEST_SMTP_PASSWORD"] = self.smtp_password
        return super().run_cli(*args, **kw)

    def land_day(self, day):
        self.run_cli("generate", "--to-bucket", "--reference-dims", "--date", f"2026-11-{day:02d}",
                     "--days", "1", "--rows", "2000", "--invalid-rate", "0.05", "--seed", str(day),
                     check=True)

    def job_notifications(self):
        return [n for n in self.cli_json("notifications", "-n", "100")
                if n["subscription"] == "team"]

    def test_job_email_arrives_readable_with_mime_date_and_message_id(self):
        self.sink.start()
        self.land_day(26)
        self.process()
        self.wait_for(lambda: self.sink.raw(), timeout=30, what="an email")
        msgs = self.sink.messages()
        self.assertEqual(len(msgs), 1, "one email for the team; none for on-call (SUCCEEDED)")
        msg, envelope = msgs[0]
        if os.environ.get("EP_SHOW_EMAIL"):
            print("\n" + self.sink.raw()[0][0].decode())
        self.assertTrue(envelope["auth"], "the client authenticated")
        self.assertEqual(sorted(envelope["rcpt_tos"]), ["data-team@shop.example", "ops@shop.example"])
        self.assertEqual(envelope["mail_from"], "ecompipe@shop.example")

        read, loaded, rejected = self.wh(
            "SELECT rows_read, rows_loaded, rows_rejected FROM load_ledger WHERE status='loaded'")[0]
        self.assertEqual(read, loaded + rejected)
        # The subject's date is the day of the state change (the event's time), not the data's.
        succeeded = [n["event"] for n in self.notifications() if n["event"]["detail"].get("state") == "SUCCEEDED"]
        event_day = succeeded[-1]["time"][:10]
        self.assertEqual(
            msg["Subject"],
            f"[ecompipe] ecommerce_data_processing SUCCEEDED {event_day}: {loaded:,} loaded, "
            f"{rejected:,} rejected")
        # MIME: multipart/alternative, plain text first, HTML last.
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts], ["text/plain", "text/html"])
        text, html = parts[0].get_content(), parts[1].get_content()
        run_id = self.cli_json("runs")[0]["run_id"] if isinstance(self.cli_json("runs"), list) else None
        for want in (f"{read:,}", f"{loaded:,}", f"{rejected:,}", "Duration:", "Top reject reasons",
                     "transactions/year=2026/month=11/day=26/transaction_2026-11-26.csv",
                     "ecompipe rejects", "Dashboard: http://dashboard.shop.example/runs"):
            self.assertIn(want, text)
        if run_id:
            self.assertIn(run_id, text)
        # The top reason and its count, as the warehouse has them.
        reason, count = self.wh("SELECT reason, count(*) FROM rejects GROUP BY reason "
                                "ORDER BY count(*) DESC, reason LIMIT 1")[0]
        self.assertRegex(text, rf"\b{count:,}\s+{reason}\b")
        self.assertIn("<html>", html)
        self.assertIn(reason, html)
        # Date: RFC 5322, now; Message-ID: the notification's stable id.
        date = email.utils.parsedate_to_datetime(msg["Date"])
        self.assertLess(abs(date.timestamp() - time.time()), 300)
        notes = self.job_notifications()
        self.assertEqual(len(notes), 1)
        self.assertEqual(notes[0]["status"], "delivered")
        self.assertEqual(msg["Message-ID"], f"<{notes[0]['id']}@shop.example>")
        self.assertEqual(msg["MIME-Version"], "1.0")
        # The password is never in the logs or the outbox.
        r = self.run_cli("notifications", "--json")
        self.assertNotIn(PASSWORD, r.stdout)
        self.assertEqual(self.state("SELECT count(*) FROM notifications WHERE body LIKE ?",
                                    f"%{PASSWORD}%")[0][0], 0)

    def test_a_run_that_breaks_the_quality_gate_emails_the_object_threshold_and_reasons(self):
        """Transactions landed before the dimensions: every row rejected. The run is FAILED,
        both subscriptions (the team's and on-call's FAILED filter) get it, and the subject
        names the object, the threshold and the top reason."""
        self.sink.start()
        key = tx_key(26)
        self.land(key, rows_csv(VALID_ROWS))
        self.process(expect_rc=2)
        self.wait_for(lambda: len(self.sink.raw()) == 2, timeout=30, what="two emails")
        msgs = self.sink.messages()
        failed = [n["event"] for n in self.notifications() if n["event"]["detail"].get("state") == "FAILED"]
        self.assertEqual(len(failed), 1)
        day = failed[0]["time"][:10]
        for msg, _ in msgs:
            self.assertEqual(
                msg["Subject"],
                f"[ecompipe] ecommerce_data_processing FAILED {day}: quality gate: {key}: 4 of 4 rows "
                "rejected (100%), above max_reject_rate 0.5; 0 rows loaded, below min_rows 1; top "
                "reasons: unknown_customer_id 4")
            text = msg.get_body(preferencelist=("plain",)).get_content()
            self.assertTrue(text.startswith(f"ecommerce_data_processing FAILED on {day}: quality gate: {key}: "),
                            text[:300])

    def test_smtp_down_then_up_delivers_every_email_once(self):
        # The server is down while two days land and are processed.
        for day in (24, 25):
            self.land_day(day)
            self.process()
        notes = self.job_notifications()
        self.assertEqual(len(notes), 2)
        self.assertTrue(all(n["status"] == "pending" and int(n["attempts"]) >= 1 for n in notes), notes)
        self.assertIn("SMTP", notes[0]["last_error"])
        # A third day while still down, then the server comes up on the same port.
        self.land_day(26)
        self.process()
        self.sink.start()

        def all_delivered():
            self.process()
            return all(n["status"] == "delivered" for n in self.job_notifications())
        self.wait_for(all_delivered, timeout=90, what="delivery after the outage")
        self.process()  # and once more: nothing is sent twice
        msgs = self.sink.messages()
        ids = sorted(m["Message-ID"] for m, _ in msgs)
        self.assertEqual(len(ids), 3, [m["Subject"] for m, _ in msgs])
        self.assertEqual(ids, sorted(f"<{n['id']}@shop.example>" for n in self.job_notifications()))
        # Each subject carries the day of its own state change (the event's time, whatever the
        # calendar says while the test runs; a run may straddle midnight).
        event_time = {n["event"]["id"]: n["event"]["time"] for n in self.notifications()}
        event_day = {f"<{note_id}@shop.example>": event_time[event_id][:10] for note_id, event_id in
                     self.state("SELECT id, event_id FROM notifications WHERE subscription='team'")}
        for m, _ in msgs:
            self.assertIn(f"SUCCEEDED {event_day[m['Message-ID']]}:", m["Subject"])

    def test_rejected_credentials_are_a_dead_letter_that_redrive_sends(self):
        self.sink.start()
        self.smtp_password = "wrong"
        self.land_day(26)
        self.process()
        notes = self.job_notifications()
        self.assertEqual(notes[0]["status"], "dead", notes)
        self.assertEqual(self.sink.raw(), [])
        self.assertIn("Login denied", notes[0]["last_error"])
        self.smtp_password = PASSWORD
        r = self.run_cli("notifications", "redrive", "--id", notes[0]["id"], check=True)
        self.assertIn("1 dead letter pending again", r.stdout)
        self.process()
        self.assertEqual(self.job_notifications()[0]["status"], "delivered")
        self.assertEqual(len(self.sink.raw()), 1)
        self.assertEqual(self.run_cli("notifications", "redrive").returncode, 64)


class RateLimitedEmailTest(PipelineTest):
    """An SMTP sink and one email subscription limited by RATE_LIMIT (a line of YAML)."""

    RATE_LIMIT = ""

    def setUp(self):
        super().setUp()
        self.sink = SmtpSink()
        self.addCleanup(self.sink.cleanup)
        self.sink.start()
        set_topics(self, f"""topics:
  - name: pipeline-status
    subscriptions:
      - name: team
        type: email
        url: smtp://127.0.0.1:{self.sink.port}
        from: ecompipe@shop.example
        to: data-team@shop.example
        {self.RATE_LIMIT}
""")


@requires_aiosmtpd
class EmailStormAndOtherEventsTest(RateLimitedEmailTest):
    """A crawler failure gets a generic email; a rate limit holds a storm back."""

    RATE_LIMIT = "max_per_hour: 2"

    def test_crawler_failure_email_then_the_storm_is_held_for_a_digest(self):
        self.land_reference_dims()
        self.land(tx_key(20), b"")  # an empty file fails its crawl
        self.process()
        self.wait_for(lambda: self.sink.raw(), timeout=30, what="the crawler email")
        msg, _ = self.sink.messages()[0]
        self.assertEqual(msg["Subject"],
                         "[ecompipe] Glue Crawler State Change: transactions Failed " +
                         msg["Subject"][-10:])
        self.assertIn(tx_key(20), msg.get_body(("plain",)).get_content())
        # Four more runs in the hour: one more email fits in max_per_hour: 2, the rest wait.
        for day in (21, 22, 23, 24):
            rows = [r.replace("TXN0000000", f"TXN{day:02d}0000") for r in VALID_ROWS]
            self.land(tx_key(day), rows_csv(rows))
            self.process()
        notes = self.cli_json("notifications", "-n", "100")
        self.assertEqual(len(notes), 5)
        self.assertEqual(len(self.sink.raw()), 2)
        held = [n for n in notes if n["status"] == "pending"]
        self.assertEqual(len(held), 3, notes)
        self.assertTrue(all("max_per_hour" in n["last_error"] for n in held))


@requires_aiosmtpd
class EmailStartTlsTest(PipelineTest):
    """STARTTLS required by the server, then AUTH over TLS (a self-signed certificate, accepted
    with insecure_skip_verify)."""

    def setUp(self):
        super().setUp()
        cert, key = make_test_certificate(self.dir)
        self.sink = SmtpSink(user="ecompipe", password=PASSWORD, cert=cert, key=key)
        self.addCleanup(self.sink.cleanup)
        self.sink.start()

    def configure(self, starttls):
        set_topics(self, f"""topics:
  - name: pipeline-status
    subscriptions:
      - name: team
        type: email
        url: smtp://127.0.0.1:{self.sink.port}
        starttls: {"true" if starttls else "false"}
        insecure_skip_verify: true
        from: ecompipe@shop.example
        to: data-team@shop.example
        username: ecompipe
        password: "{PASSWORD}"
""")

    def test_starttls_then_auth_delivers(self):
        self.configure(starttls=True)
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.process()
        self.wait_for(lambda: self.sink.raw(), timeout=30, what="the email over TLS")
        _, envelope = self.sink.messages()[0]
        self.assertTrue(envelope["tls"])
        self.assertTrue(envelope["auth"])
        # The password from the configuration is not in the outbox or the listing either.
        self.assertNotIn(PASSWORD, self.run_cli("notifications", "--json").stdout)

    def test_without_starttls_the_server_refuses_and_nothing_is_sent_in_clear(self):
        self.configure(starttls=False)
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.process()
        self.assertEqual(self.sink.raw(), [])
        note = self.cli_json("notifications")[0]
        self.assertNotEqual(note["status"], "delivered")


@requires_aiosmtpd
class EmailImplicitTlsTest(PipelineTest):
    """smtps:// (TLS from the first byte) with the server's certificate verified against a
    configured CA file: no insecure_skip_verify anywhere."""

    def setUp(self):
        super().setUp()
        self.cert, key = make_test_certificate(self.dir)
        self.sink = SmtpSink(user="ecompipe", password=PASSWORD, cert=self.cert, key=key,
                             tls="implicit")
        self.addCleanup(self.sink.cleanup)
        self.sink.start()

    def configure(self, ca_file):
        set_topics(self, f"""topics:
  - name: pipeline-status
    subscriptions:
      - name: team
        type: email
        url: smtps://127.0.0.1:{self.sink.port}
        from: ecompipe@shop.example
        to: data-team@shop.example
        username: ecompipe
        password: "{PASSWORD}"
        timeout: 10s
{f"        ca_file: {ca_file}" if ca_file else ""}
""")

    def test_smtps_with_the_ca_file_verifies_the_server_and_delivers(self):
        self.configure(self.cert)
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.process()
        self.wait_for(lambda: self.sink.raw(), timeout=30, what="the email over implicit TLS")
        msg, envelope = self.sink.messages()[0]
        self.assertTrue(envelope["tls"])
        self.assertTrue(envelope["auth"])
        self.assertIn("SUCCEEDED", msg["Subject"])
        self.assertEqual(self.cli_json("notifications", "--status", "delivered")[0]["subscription"],
                         "team")

    def test_smtps_without_the_ca_file_refuses_the_unknown_certificate(self):
        self.configure(None)
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.process()
        self.assertEqual(self.sink.raw(), [])
        pending = self.cli_json("notifications", "--status", "pending")
        self.assertEqual(len(pending), 1, pending)
        self.assertRegex(pending[0]["last_error"].lower(), "certificate|ssl")
        self.assertEqual(self.cli_json("notifications", "--status", "delivered"), [])


@requires_aiosmtpd
class EmailDigestAfterTheWindowTest(RateLimitedEmailTest):
    """A storm beyond the rate limit is held, then goes out as one digest email once the window
    has passed, while `serve` keeps running."""

    RATE_LIMIT = "rate_limit: {max: 1, window: 4s}"

    def test_held_notifications_arrive_as_one_digest_after_the_window(self):
        self.land_reference_dims()
        serve = self.start_serve()
        for count, day in enumerate((21, 22, 23), start=1):
            rows = [r.replace("TXN0000000", f"TXN{day:02d}0000") for r in VALID_ROWS]
            self.land(tx_key(day), rows_csv(rows))
            # One day at a time, so that each is its own run with its own notification.
            self.wait_for(lambda: len(self.cli_json("notifications", "-n", "100")) == count,
                          timeout=60, what=f"notification {count}")
        self.assertEqual(len(self.sink.raw()), 1, "the window allows one email")
        held = self.cli_json("notifications", "--status", "pending")
        self.assertEqual(len(held), 2, held)
        self.wait_for(lambda: len(self.sink.raw()) == 2, timeout=30, what="the digest email")
        self.stop(serve)
        digest, _ = self.sink.messages()[1]
        self.assertIn("digest", (digest["Subject"] + digest.get_body(("plain",)).get_content()).lower())
        body = digest.get_body(("plain",)).get_content()
        self.assertEqual(body.count("SUCCEEDED"), 2, body)
        notes = self.cli_json("notifications", "-n", "100")
        self.assertTrue(all(n["status"] == "delivered" for n in notes), notes)
        digest_ids = {n["digest"] for n in notes if n["digest"]}
        self.assertEqual(len(digest_ids), 1)
        self.assertEqual(len([n for n in notes if n["digest"]]), 2)


if __name__ == "__main__":
    unittest.main()
