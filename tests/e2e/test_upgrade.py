"""Upgrade safety: a pipeline written by an earlier release (the fixture tests/data/upgrade/0.1.0,
made by tests/data/upgrade/make_fixture.sh with that release's binary) opens in this one with
every row kept, its schemas brought forward; a schema newer than this binary knows is refused
before anything is touched."""
import os
import shutil
import sqlite3
import unittest

from harness import DATA, HEADER, PipelineTest, WorkersTest, psql, tx_key

FIXTURE = os.path.join(DATA, "upgrade", "0.1.0")


def table_counts(path):
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def rows(path, table):
    con = sqlite3.connect(path)
    try:
        return sorted(con.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
    finally:
        con.close()


def scalar(path, sql):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


class UpgradeTest(PipelineTest):
    def setUp(self):
        super().setUp()
        shutil.rmtree(self.dir)
        shutil.copytree(FIXTURE, self.dir)
        os.makedirs(self.bucket, exist_ok=True)
        self.state_db = os.path.join(self.dir, ".ecompipe", "state.db")
        self.warehouse_db = os.path.join(self.dir, "warehouse.db")

    def test_earlier_release_opens_with_every_row_kept_and_keeps_loading(self):
        state_before = table_counts(self.state_db)
        warehouse_before = table_counts(self.warehouse_db)
        facts_before = rows(self.warehouse_db, "fact_transactions")
        rejects_before = rows(self.warehouse_db, "rejects")
        events_before = rows(self.state_db, "events")
        self.assertFalse("ecompipe_state_version" in state_before)  # written before versions
        self.assertGreater(warehouse_before["fact_transactions_data"], 0)

        r = self.run_cli("process", check=True)  # any command opens (and upgrades) the pipeline
        self.assertIn("Upgrading the state store schema. from_version=0 to_version=1", r.stderr)
        self.assertEqual(scalar(self.state_db, "SELECT max(version) FROM ecompipe_state_version"), 1)
        after = table_counts(self.state_db)
        self.assertEqual({t: n for t, n in after.items() if t != "ecompipe_state_version"},
                         state_before)
        self.assertEqual(table_counts(self.warehouse_db), warehouse_before)
        self.assertEqual(rows(self.warehouse_db, "fact_transactions"), facts_before)
        self.assertEqual(rows(self.warehouse_db, "rejects"), rejects_before)
        self.assertEqual(rows(self.state_db, "events"), events_before)
        self.assertEqual(scalar(self.warehouse_db, "PRAGMA user_version"),
                         scalar(os.path.join(FIXTURE, "warehouse.db"), "PRAGMA user_version"))

        # The upgraded pipeline goes on: a new day loads beside the old ones, which stay loaded.
        self.land(tx_key(27), HEADER + "\nTXN900001,C12345,P12345,1,5.00,2026-11-27,card,ok\n")
        self.process()
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger WHERE status='loaded'")[0][0],
                         self.count_loaded_before + 1)
        self.assertEqual(table_counts(self.warehouse_db)["fact_transactions_data"],
                         warehouse_before["fact_transactions_data"] + 1)
        self.assert_nothing_lost()

    @property
    def count_loaded_before(self):
        return scalar(os.path.join(FIXTURE, "warehouse.db"),
                      "SELECT count(*) FROM load_ledger WHERE status='loaded'")

    def test_second_open_is_not_an_upgrade(self):
        self.run_cli("status", check=True)
        r = self.run_cli("process", check=True)
        self.assertNotIn("Upgrading the state store schema", r.stderr)

    def test_newer_state_schema_is_refused_before_anything_is_touched(self):
        self.run_cli("status", check=True)
        con = sqlite3.connect(self.state_db)
        con.execute("UPDATE ecompipe_state_version SET version = 99")
        con.commit()
        con.close()
        before = table_counts(self.state_db)
        for command in (["status"], ["process"], ["serve"]):
            r = self.run_cli(*command)
            self.assertEqual(r.returncode, 1, command)
            self.assertIn("state store schema version 99 is newer than this ecompipe supports (1)",
                          r.stderr)
            self.assertIn("state.db", r.stderr)
        self.assertEqual(table_counts(self.state_db), before)

    def test_newer_warehouse_schema_is_refused(self):
        con = sqlite3.connect(self.warehouse_db)
        con.execute("PRAGMA user_version = 99")
        con.commit()
        con.close()
        r = self.run_cli("process")
        self.assertEqual(r.returncode, 1)
        self.assertIn("warehouse schema version 99 is newer than this ecompipe supports", r.stderr)


class PostgresSchemaVersionTest(WorkersTest):
    """The same versions in PostgreSQL: the state store's ecompipe_state_version table and the
    warehouse's ecompipe_schema_version."""

    def test_versions_are_recorded_and_a_newer_one_is_refused(self):
        self.run_cli("status", check=True)
        self.assertEqual(self.state("SELECT max(version) FROM ecompipe_state_version"), [("1",)])
        warehouse = psql(self.state_url, "SELECT max(version) FROM dw.ecompipe_schema_version")
        self.assertGreaterEqual(int(warehouse[0][0]), 1)
        psql(self.state_url, "UPDATE ecompipe_state_version SET version = 7")
        r = self.run_cli("status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("the PostgreSQL state store: state store schema version 7 is newer than "
                      "this ecompipe supports (1)", r.stderr)
        psql(self.state_url, "UPDATE ecompipe_state_version SET version = 1; "
                             "INSERT INTO dw.ecompipe_schema_version VALUES (99)")
        r = self.run_cli("status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("newer than this ecompipe supports", r.stderr)


if __name__ == "__main__":
    unittest.main()
