"""`ecompipe query` on the real binary, against SQLite and against a real PostgreSQL warehouse
(EP_TEST_PG_URL): JSON with typed values in column order, several statements each printed, SQL
from standard input, and read-only unless --write, with every hostile statement of issues 12
and 14 refused and the warehouse and the file system left as they were."""
import json
import os
import shutil
import subprocess
import tempfile

from harness import BIN, PipelineTest, VALID_ROWS, rows_csv, tx_key
from test_postgres_warehouse import PostgresPipelineTest


def json_stream(text):
    """The JSON documents in `text`, one after another."""
    decoder, docs, i = json.JSONDecoder(object_pairs_hook=lambda pairs: [list(p) for p in pairs]), [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        doc, i = decoder.raw_decode(text, i)
        docs.append(doc)
    return docs


class QueryBehaviour:
    """The tests, for a backend class that sets up the pipeline and says what it looks like."""

    # SQL that each backend refuses in read-only mode; {dir} is a folder where nothing may appear.
    HOSTILE = []
    # Refused even with --write.
    HOSTILE_WITH_WRITE = []

    def load_sample(self):
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(VALID_ROWS + ["TXN00000099,C99999,P12345,1,29.99,2026-11-26,Cash,Completed"]))
        self.process(expect_rc=0)
        # A folder the database server (another user, on this machine) could write to.
        self.scratch = tempfile.mkdtemp(prefix="ecompipe-query-scratch-")
        os.chmod(self.scratch, 0o777)
        self.addCleanup(shutil.rmtree, self.scratch, True)

    def query(self, *args, stdin=None):
        return subprocess.run([BIN, "query", *args], cwd=self.dir, input=stdin, capture_output=True,
                              text=True, timeout=120)

    def test_json_has_numbers_nulls_and_the_columns_order(self):
        r = self.query("SELECT transaction_type, count(*) AS n, NULL AS missing, 2.5 AS r, 'x' AS t "
                       "FROM fact_transactions GROUP BY 1 ORDER BY 1", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json_stream(r.stdout), [[
            [["transaction_type", "Large"], ["n", 1], ["missing", None], ["r", 2.5], ["t", "x"]],
            [["transaction_type", "Medium"], ["n", 1], ["missing", None], ["r", 2.5], ["t", "x"]],
            [["transaction_type", "Small"], ["n", 2], ["missing", None], ["r", 2.5], ["t", "x"]],
        ]])
        # A repeated column name keeps both values.
        r = self.query("SELECT 1 AS a, 2 AS a", "--format", "json")
        self.assertEqual(json.loads(r.stdout), [{"a": 1, "a_2": 2}])

    def test_several_statements_print_every_result_in_order(self):
        sql = "SELECT 1 AS first; SELECT 'two' AS second, 3 AS third"
        r = self.query(sql)
        self.assertEqual(r.returncode, 0, r.stderr)
        # Numbers are right-aligned in a table.
        self.assertEqual(r.stdout, "first\n-----\n    1\n(1 row)\n\nsecond  third\n------  -----\ntwo         3\n(1 row)\n")
        r = self.query(sql, "--format", "csv")
        self.assertEqual(r.stdout, "first\n1\n\nsecond,third\ntwo,3\n")
        r = self.query(sql, "--format", "json")
        self.assertEqual(json_stream(r.stdout), [[[["first", 1]]], [[["second", "two"], ["third", 3]]]])

    def test_sql_from_standard_input(self):
        r = self.query("-", "--format", "csv", stdin="SELECT count(*) AS n\n  FROM fact_transactions;\n"
                                                    "SELECT count(*) AS r FROM rejects;\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "n\n4\n\nr\n1\n")
        r = self.query("-", stdin="  ;\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("the SQL is empty (read from standard input)", r.stderr)

    def test_money_and_reals_print_as_stored(self):
        r = self.query("SELECT transaction_id, total_amount FROM fact_transactions ORDER BY 1 LIMIT 2",
                       "--format", "csv")
        self.assertEqual(r.stdout.splitlines(), ["transaction_id,total_amount", "TXN00000001,89.97",
                                                 "TXN00000002,99.98"])
        r = self.query("SELECT CAST(129.99 AS DOUBLE PRECISION) AS p, "
                       "CAST(0.1 AS DOUBLE PRECISION) + 0.2 AS s", "--format", "csv")
        self.assertEqual(r.stdout.splitlines(), ["p,s", "129.99,0.30000000000000004"])
        r = self.query("SELECT CAST(129.99 AS DOUBLE PRECISION) AS p", "--format", "json")
        self.assertIn('"p": 129.99', r.stdout)

    def test_read_only_by_default_every_hostile_statement_is_refused_and_changes_nothing(self):
        before = self.snapshot()
        for sql in self.HOSTILE:
            sql = sql.replace("{dir}", self.scratch)
            with self.subTest(sql=sql):
                r = self.query(sql)
                self.assertEqual(r.returncode, 1, f"{sql}\n{r.stdout}{r.stderr}")
                self.assertRegex(r.stderr, r"refused|read-only")
                self.assertEqual(self.snapshot(), before)
                self.assertEqual(os.listdir(self.scratch), [])

    def test_write_flag_allows_changes_but_never_files_or_extensions(self):
        for sql in self.HOSTILE_WITH_WRITE:
            sql = sql.replace("{dir}", self.scratch)
            with self.subTest(sql=sql):
                r = self.query("--write", sql)
                self.assertEqual(r.returncode, 1, f"{sql}\n{r.stdout}{r.stderr}")
                self.assertIn("with or without --write", r.stderr)
                self.assertEqual(os.listdir(self.scratch), [])
        r = self.query("DELETE FROM rejects")
        self.assertEqual(r.returncode, 1)
        self.assertIn("add --write", r.stderr)
        r = self.query("--write", "DELETE FROM rejects; SELECT count(*) AS left_over FROM rejects")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "(1 row changed)\n\nleft_over\n---------\n        0\n(1 row)\n")
        self.assertEqual(self.query("SELECT count(*) FROM rejects", "--format", "csv").stdout.splitlines()[1], "0")

    def test_help_teaches_the_options_with_examples(self):
        r = subprocess.run([BIN, "query", "--help"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0)
        for text in ("read-only", "--write", "--format", "standard input", "Examples:",
                     "ecompipe query - --format csv < report.sql", "ecompipe query --write \"DELETE"):
            self.assertIn(text, r.stdout)


class SqliteQueryTest(QueryBehaviour, PipelineTest):
    HOSTILE = [
        "DELETE FROM load_ledger",
        "DROP TABLE rejects",
        "UPDATE fact_transactions_data SET quantity = 99",
        "SELECT 1; DELETE FROM load_ledger",
        "BEGIN; DELETE FROM load_ledger; COMMIT",
        "WITH x AS (SELECT 1) DELETE FROM load_ledger WHERE 1 IN (SELECT * FROM x)",
        "ATTACH '{dir}/attached.db' AS a",
        "VACUUM INTO '{dir}/copy.db'",
        "PRAGMA journal_mode=DELETE",
        "PRAGMA user_version=5",
        "SELECT load_extension('{dir}/evil.so')",
        "CREATE TABLE scratch(x)",
    ]
    HOSTILE_WITH_WRITE = [
        "ATTACH '{dir}/attached.db' AS a",
        "VACUUM INTO '{dir}/copy.db'",
        "SELECT load_extension('{dir}/evil.so')",
    ]

    def setUp(self):
        super().setUp()
        self.load_sample()

    def snapshot(self):
        return (self.wh("SELECT (SELECT count(*) FROM load_ledger), (SELECT count(*) FROM rejects), "
                        "(SELECT count(*) FROM fact_transactions_data), (SELECT sum(quantity) FROM "
                        "fact_transactions_data), (SELECT group_concat(name) FROM (SELECT name FROM "
                        "sqlite_master ORDER BY name))"),
                self.wh("PRAGMA user_version"), self.wh("PRAGMA journal_mode"))


class PostgresQueryTest(QueryBehaviour, PostgresPipelineTest):
    HOSTILE = [
        "DELETE FROM load_ledger",
        "DROP TABLE rejects",
        "UPDATE fact_transactions SET quantity = 99",
        "SELECT 1; DELETE FROM load_ledger",
        "COMMIT; DELETE FROM load_ledger",
        "SELECT 1; COMMIT; DELETE FROM load_ledger",
        "SET TRANSACTION READ WRITE; DELETE FROM load_ledger",
        "BEGIN READ WRITE; DELETE FROM load_ledger; COMMIT",
        "SELECT set_config('transaction_read_only', 'off', true); DELETE FROM load_ledger",
        "WITH x AS (DELETE FROM load_ledger RETURNING 1) SELECT count(*) FROM x",
        "COPY (SELECT 1) TO '{dir}/copy.txt'",
        "SELECT pg_read_file('/etc/hostname')",
        "SELECT lo_export(lo_from_bytea(0, 'x'), '{dir}/lo.bin')",
        "CREATE TABLE scratch (x int)",
        "DO $$ BEGIN DELETE FROM load_ledger; END $$",
    ]
    HOSTILE_WITH_WRITE = [
        "COPY (SELECT 1) TO '{dir}/copy.txt'",
        "SELECT lo_export(lo_from_bytea(0, 'x'), '{dir}/lo.bin')",
        "SELECT pg_read_file('/etc/hostname')",
        "CREATE EXTENSION IF NOT EXISTS dblink",
    ]

    def setUp(self):
        super().setUp()
        self.load_sample()

    def snapshot(self):
        return self.pg("SELECT (SELECT count(*) FROM load_ledger), (SELECT count(*) FROM rejects), "
                       "(SELECT count(*) FROM fact_transactions), (SELECT sum(quantity) FROM fact_transactions), "
                       "(SELECT count(*) FROM pg_largeobject_metadata), "
                       "(SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables "
                       f" WHERE table_schema = '{self.schema}')")

    def test_a_large_object_postgres_creates_read_only_is_rolled_back(self):
        # PostgreSQL 15 lets a READ ONLY transaction create large objects; every read-only call
        # ends with a rollback, which takes them back.
        before = self.snapshot()
        r = self.query("SELECT lo_from_bytea(0, 'kept?') IS NOT NULL AS made", "--format", "csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "made\nt\n")
        self.assertEqual(self.snapshot(), before)
