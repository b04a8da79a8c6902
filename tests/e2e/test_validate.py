"""`ecompipe validate`: every configuration error at once with its line, warnings for rules that
can never match, --connect reaching the backends; exit 0 valid, 1 invalid."""
import os
import re
import socket

from harness import PipelineTest


class ValidateTest(PipelineTest):
    def config(self):
        return os.path.join(self.dir, "ecompipe.yaml")

    def edit(self, old, new):
        with open(self.config()) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(self.config(), "w") as f:
            f.write(text.replace(old, new, 1))

    def line_of(self, needle):
        with open(self.config()) as f:
            for n, line in enumerate(f, 1):
                if needle in line:
                    return n
        self.fail(f"{needle!r} not in the configuration")

    def test_default_configuration_is_valid_without_warnings(self):
        r = self.run_cli("validate")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "ecompipe.yaml: valid: 8 rules, 1 crawler, 1 job, 1 topic with "
                                   "1 subscription; 0 warnings\n")

    def test_every_broken_section_is_reported_with_its_line(self):
        self.edit("  bucket: raw-transactions\n", "  bucket: raw-transactions\n  bukcet: x\n")
        self.edit("warehouse:\n  type: sqlite\n", "warehouse:\n  type: oracle\n")
        self.edit("targets: [{type: start_job, name: ecommerce_data_processing}]",
                  "targets: [{type: start_job, name: nightly}]")
        r = self.run_cli("validate", "-c", self.config(), cwd=None)
        self.assertEqual(r.returncode, 1, r.stdout)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 4, r.stdout)
        self.assertEqual(lines[0], f"ecompipe.yaml:{self.line_of('bukcet')}: error: unknown key "
                                   "'storage.bukcet' (did you mean 'bucket'?)")
        self.assertRegex(lines[1], rf"^ecompipe\.yaml:{self.line_of('type: oracle')}: error: .*oracle")
        self.assertRegex(lines[2], rf"^ecompipe\.yaml:{self.line_of('name: nightly')}: error: .*"
                                   r"no job named 'nightly'")
        self.assertEqual(lines[3], "ecompipe.yaml: invalid: 3 errors, 0 warnings")

    def test_yaml_syntax_error_is_the_one_error(self):
        with open(self.config(), "a") as f:
            f.write("rules: [unclosed\n")
        r = self.run_cli("validate")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"^ecompipe\.yaml:\d+: error: ")
        self.assertTrue(r.stdout.endswith("ecompipe.yaml: invalid: 1 error, 0 warnings\n"), r.stdout)

    def test_rule_that_can_never_match_is_a_warning_with_a_suggestion(self):
        self.edit("detail: {crawlerName: [transactions], state: [Succeeded]}",
                  "detail: {crawlerName: [transactions], state: [SUCCEEDED]}")
        self.edit("detail: {jobName: [ecommerce_data_processing], state: [SUCCEEDED, FAILED, "
                  "TIMEOUT, STOPPED]}",
                  "detail: {jobName: [ecommerce_data_processing], state: [SUCCEEDED, Failed]}")
        r = self.run_cli("validate")
        self.assertEqual(r.returncode, 0, r.stdout)  # warnings do not make it invalid
        warnings = [l for l in r.stdout.splitlines() if ": warning: " in l]
        self.assertEqual(len(warnings), 2, r.stdout)
        self.assertEqual(
            warnings[0],
            f"ecompipe.yaml:{self.line_of('state: [SUCCEEDED]')}: warning: rule 'crawler-succeeded' "
            "can never match: pattern.detail.state lists 'SUCCEEDED', but the state of those events "
            "is Failed or Succeeded (did you mean 'Succeeded'?)")
        self.assertIn("rule 'job-state-changed' partly never matches: pattern.detail.state lists "
                      "'Failed'", warnings[1])
        self.assertIn("(did you mean 'FAILED'?)", warnings[1])
        self.assertTrue(r.stdout.endswith("; 2 warnings\n"))

    def test_unknown_source_and_job_name_are_warnings(self):
        self.edit("source: [ecompipe.glue]\n      detail-type: [Glue Crawler State Change]\n"
                  "      detail: {crawlerName: [transactions], state: [Succeeded]}",
                  "source: [aws.glue]\n      detail-type: [Glue Crawler State Change]\n"
                  "      detail: {crawlerName: [transactions], state: [Succeeded]}")
        self.edit("detail: {jobName: [ecommerce_data_processing]",
                  "detail: {jobName: [ecommerce_data_procesing]")
        r = self.run_cli("validate")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("rule 'crawler-succeeded' can never match: pattern.source lists 'aws.glue', "
                      "but ecompipe's events have source ecompipe.s3, ecompipe.glue or ecompipe.warehouse", r.stdout)
        self.assertIn("rule 'job-state-changed' can never match: pattern.detail.jobName lists "
                      "'ecommerce_data_procesing', but the jobs are ecommerce_data_processing "
                      "(did you mean 'ecommerce_data_processing'?)", r.stdout)

    def test_connect_reports_what_answered_and_creates_nothing(self):
        r = self.run_cli("validate", "--connect")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"connect bucket: {self.bucket} answered", r.stdout)
        self.assertIn("connect state store: not created yet", r.stdout)
        self.assertIn("connect warehouse: not created yet", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "warehouse.db")))
        self.assertFalse(os.path.exists(os.path.join(self.dir, ".ecompipe", "state.db")))
        self.process(expect_rc=0)
        r = self.run_cli("validate", "--connect")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stdout, r"connect state store: SQLite .*state\.db answered, schema "
                                   r"version 1 \(this ecompipe: 1\)")
        self.assertRegex(r.stdout, r"connect warehouse: .*warehouse\.db answered")

    def test_connect_fails_when_an_smtp_server_does_not_answer(self):
        with socket.socket() as s:  # a port nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.edit("      - {type: log, path: notifications.jsonl}\n",
                  "      - {type: log, path: notifications.jsonl}\n"
                  f"      - {{type: email, name: oncall, url: \"smtp://127.0.0.1:{port}\", "
                  "from: ecompipe@example.com, to: ops@example.com}\n")
        r = self.run_cli("validate", "--connect")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn(f"connect topic pipeline-status oncall: error: cannot connect to "
                      f"127.0.0.1:{port}", r.stdout)
