"""Secrets in configured URLs (issue 14, point 5): `smtp://user:PASS@…` and
`http://user:PASS@…?token=…` appeared verbatim in logs, `ecompipe notifications` (last_error)
and the state database. Subscribers and a rule's webhook target that all fail are configured
with secrets in their URLs; no log line, CLI output or byte of the state files may hold them."""
import glob
import os

from harness import PipelineTest, VALID_ROWS, rows_csv, tx_key
from notify_servers import free_port, set_topics

SECRETS = ["PASS-w3b", "SECRET-t0k", "PASS-smtp", "PASS-rule", "SECRET-sig"]


class UrlSecretsTest(PipelineTest):
    def test_failing_subscribers_and_targets_never_show_their_secrets(self):
        port = free_port()  # nothing listens: every attempt fails
        set_topics(self, f"""topics:
  - name: pipeline-status
    subscriptions:
      - {{type: log, path: notifications.jsonl}}
      - {{name: hook, type: webhook,
          url: "http://user:PASS-w3b@127.0.0.1:{port}/hook?token=SECRET-t0k&team=ops"}}
      - {{name: mail, type: email, url: "smtp://mailer:PASS-smtp@127.0.0.1:{port}",
          from: ecompipe@example.com, to: oncall@example.com}}
""")
        path = os.path.join(self.dir, "ecompipe.yaml")
        with open(path) as f:
            text = f.read()
        rule_hook = (f'{{type: webhook, url: "http://u:PASS-rule@127.0.0.1:{port}/r?'
                     f'X-Amz-Signature=SECRET-sig&X-Amz-Date=20261126T000000Z"}}')
        old = "targets: [{type: start_crawler, name: transactions}]"
        self.assertIn(old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, f"targets: [{{type: start_crawler, name: transactions}}, "
                                      f"{rule_hook}]"))
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        outputs = [self.process()]
        outputs += [self.run_cli(*args) for args in (
            ["notifications"], ["notifications", "--json"], ["events", "-n", "100"],
            ["events", "--json", "-n", "100"], ["status"], ["status", "--json"])]
        for r in outputs:
            self.assertEqual(r.returncode in (0, 2), True, r.stderr)
        text = "".join(r.stdout + r.stderr for r in outputs)

        # The failures happened and are reported, with the URLs redacted.
        notes = {n["subscription"]: n for n in self.cli_json("notifications")}
        self.assertEqual(self.state("SELECT target FROM notifications WHERE subscription = 'hook'"),
                         [(f"http://user:REDACTED@127.0.0.1:{port}/hook?token=REDACTED&team=ops",)])
        self.assertIn(f"POST http://user:REDACTED@127.0.0.1:{port}/hook?token=REDACTED&team=ops: ",
                      notes["hook"]["last_error"])
        self.assertIn(f"SMTP smtp://mailer:REDACTED@127.0.0.1:{port}: ", notes["mail"]["last_error"])
        self.assertIn(f"http://u:REDACTED@127.0.0.1:{port}/r?X-Amz-Signature=REDACTED&"
                      "X-Amz-Date=20261126T000000Z", text)
        self.assertIn("Delivery failed.", text)

        state_files = glob.glob(os.path.join(self.dir, ".ecompipe", "state.db*"))
        self.assertTrue(state_files)
        stored = b""
        for p in state_files:
            with open(p, "rb") as f:
                stored += f.read()
        for secret in SECRETS:
            self.assertNotIn(secret, text, "CLI output or log")
            self.assertNotIn(secret.encode(), stored, "state database")
