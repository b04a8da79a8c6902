"""Bad input gets a clear answer: a key that climbs out of the bucket, a bad configuration. Bad
files (each landed beside a good one, which always loads) and CSV header detection are scenario
files in tests/scenarios/ (bad files: empty, binary, truncated gzip, ...; header_*.yaml)."""
import os
import subprocess

from harness import BIN, PipelineTest, VALID_ROWS, rows_csv


class BadFilesTest(PipelineTest):
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

    def test_a_yaml_alias_bomb_is_refused_in_bounded_memory(self):
        """Issue 14: nine levels of nine aliases in a rule's pattern (387 million values) grew
        `status` to 8.6 GB. It is refused before anything reads it; the child runs under a
        2 GiB address-space limit, so a regression fails here instead of eating the machine."""
        import resource
        levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for i in range(1, 10):
            levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
        with open(os.path.join(self.dir, "ecompipe.yaml")) as f:
            text = f.read()
        old = "detail: {crawlerName: [transactions], state: [Succeeded]}"
        self.assertIn(old, text)
        self.write_config(text.replace(
            old, "detail: {crawlerName: [transactions], state: [Succeeded], laughs: {"
                 + ", ".join(levels) + "}}"))

        def limit_memory():
            resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

        r = subprocess.run([BIN, "status"], cwd=self.dir, capture_output=True, text=True,
                           timeout=120, preexec_fn=limit_memory)
        self.assertEqual(r.returncode, 1, r.stderr[-2000:])
        self.assertIn("ecompipe.yaml", r.stderr)
        self.assertIn("larger than 100000 values", r.stderr)
        self.assertIn("alias", r.stderr)

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