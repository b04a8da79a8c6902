"""Money in the embedded (SQLite) warehouse is numeric: ordinary SQL compares, sorts, takes
MIN/MAX of and adds price and total_amount as numbers, from `ecompipe query`, the `sqlite3`
shell and any SQLite client, and the *_cents columns give exact sums. A warehouse written by an
earlier ecompipe (money as text) is migrated when opened, without losing a row. `ecompipe
status` reads running totals that every load keeps, replaces included."""
import csv
import io
import os
import shutil
import sqlite3
import subprocess
import unittest

from harness import PipelineTest, rows_csv, tx_key

# quantity * price = total_amount; as text, '89.97' > 100 and '999.90' sorts above '1299.90'.
ROWS = [
    "TXN00000001,C12345,P12345,3,29.99,2026-11-26,Credit Card,Completed",     # 89.97
    "TXN00000002,C12346,P12346,2,49.99,2026-11-26,Debit Card,Completed",      # 99.98
    "TXN00000003,C12347,P12348,5,99.99,2026-11-26,Credit Card,Completed",     # 499.95
    "TXN00000004,C12348,P12348,10,99.99,2026-11-26,Credit Card,Completed",    # 999.90
    "TXN00000005,C12345,P12345,10,129.99,2026-11-26,Credit Card,Completed",   # 1299.90
    "TXN00000006,C12346,P12345,1,129.99,2026-11-26,Credit Card,Completed",    # 129.99
    "TXN00000007,C12347,P12345,1000,0.10,2026-11-26,Credit Card,Completed",   # 100.00
    "TXN00000008,C12348,P12345,1,5.00,2026-11-26,Credit Card,Completed",      # 5.00
]
TOTAL_CENTS = 8997 + 9998 + 49995 + 99990 + 129990 + 12999 + 10000 + 500

# The schema version 2 file of the ecompipe before money became numeric (money as text).
VERSION_2_SCHEMA = """
CREATE TABLE dim_products(product_id TEXT NOT NULL PRIMARY KEY, product_name TEXT, category TEXT,
  price TEXT, supplier_id TEXT, updated_at TEXT);
CREATE TABLE dim_customers(customer_id TEXT NOT NULL PRIMARY KEY, first_name TEXT, last_name TEXT,
  email TEXT, membership_level TEXT, updated_at TEXT);
CREATE TABLE loads(load_ref INTEGER PRIMARY KEY, load_id TEXT NOT NULL, source_object TEXT NOT NULL,
  source_etag TEXT NOT NULL);
CREATE INDEX loads_source_object ON loads(source_object);
CREATE INDEX loads_load_id ON loads(load_id);
CREATE TABLE fact_transactions_data(transaction_id TEXT NOT NULL PRIMARY KEY, customer_id TEXT,
  customer_email TEXT, product_id TEXT, product_name TEXT, quantity INTEGER, supplier_id TEXT,
  price TEXT, transaction_date TEXT, transaction_type TEXT, payment_type TEXT, status TEXT,
  total_amount TEXT, load_ref INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX fact_transactions_data_load_ref ON fact_transactions_data(load_ref);
CREATE TABLE rejects(id INTEGER PRIMARY KEY, source_object TEXT, source_etag TEXT, load_id TEXT,
  line INTEGER, reason TEXT, detail TEXT, transaction_id TEXT, raw TEXT, rejected_at TEXT);
CREATE TABLE load_ledger(bucket TEXT NOT NULL, key TEXT NOT NULL, etag TEXT NOT NULL,
  status TEXT NOT NULL, load_id TEXT, run_id TEXT, rows_read INTEGER, rows_loaded INTEGER,
  rows_rejected INTEGER, message TEXT, finished_at TEXT, PRIMARY KEY(bucket, key, etag));
CREATE VIEW fact_transactions AS SELECT f.transaction_id, f.customer_id, f.customer_email,
  f.product_id, f.product_name, f.quantity, f.supplier_id, f.price, f.transaction_date,
  f.transaction_type, f.payment_type, f.status, f.total_amount, l.source_object, l.source_etag,
  l.load_id FROM fact_transactions_data f LEFT JOIN loads l ON l.load_ref = f.load_ref;
PRAGMA user_version = 2;
"""


class WarehouseMoneyTest(PipelineTest):
    def load_rows(self):
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(ROWS))
        self.process(expect_rc=0)

    def query_csv(self, sql):
        r = self.run_cli("query", sql, "--format", "csv", check=True)
        return list(csv.reader(io.StringIO(r.stdout)))[1:]

    def shell(self, sql):
        r = subprocess.run(["sqlite3", os.path.join(self.dir, "warehouse.db"), sql],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.splitlines()

    def test_money_compares_sorts_and_adds_as_numbers_in_every_client(self):
        self.load_rows()
        over_100 = "SELECT count(*) FROM fact_transactions WHERE total_amount > 100"
        top = "SELECT transaction_id FROM fact_transactions ORDER BY total_amount DESC LIMIT 2"
        extremes = "SELECT min(total_amount), max(total_amount), max(price), min(quantity) FROM fact_transactions"
        shown = "SELECT total_amount, price FROM fact_transactions WHERE transaction_id = 'TXN00000006'"
        self.assertEqual(self.wh(over_100), [(4,)])
        self.assertEqual(self.wh(top), [("TXN00000005",), ("TXN00000004",)])
        self.assertEqual(self.wh(extremes), [(5.0, 1299.9, 129.99, 1)])
        self.assertEqual(self.wh("SELECT typeof(total_amount), typeof(price), typeof(quantity), "
                                 "typeof(total_amount_cents) FROM fact_transactions GROUP BY 1, 2, 3, 4"),
                         [("real", "real", "integer", "integer")])
        self.assertEqual(self.wh("SELECT sum(quantity * price_cents) = sum(total_amount_cents), "
                                 "sum(total_amount * 2) > sum(total_amount) FROM fact_transactions"), [(1, 1)])

        self.assertEqual(self.query_csv(over_100), [["4"]])
        self.assertEqual(self.query_csv(top), [["TXN00000005"], ["TXN00000004"]])
        self.assertEqual(self.query_csv(shown), [["129.99", "129.99"]])
        # The documented exact sum.
        self.assertEqual(self.query_csv("SELECT sum(total_amount_cents) FROM fact_transactions"),
                         [[str(TOTAL_CENTS)]])
        self.assertEqual(self.query_csv("SELECT printf('%.2f', sum(total_amount_cents) / 100.0) "
                                        "FROM fact_transactions"), [["3224.69"]])

        if shutil.which("sqlite3") is None:
            self.skipTest("no sqlite3 shell")
        self.assertEqual(self.shell(over_100), ["4"])
        self.assertEqual(self.shell(top), ["TXN00000005", "TXN00000004"])
        self.assertEqual(self.shell(shown), ["129.99|129.99"])

    def test_a_version_2_warehouse_is_migrated_without_losing_rows(self):
        path = os.path.join(self.dir, "warehouse.db")
        con = sqlite3.connect(path)
        con.executescript(VERSION_2_SCHEMA)
        con.execute("INSERT INTO loads VALUES (1, 'ld_1', 'transactions/a.csv', 'e1')")
        amounts = [("29.99", 3, "89.97"), ("99.99", 10, "999.90"), ("129.99", 10, "1299.90"),
                   ("0.10", 1000, "100.00"), ("5", 1, "5.00")]
        for i, (price, qty, total) in enumerate(amounts):
            con.execute("INSERT INTO fact_transactions_data VALUES (?, 'C1', 'a@x', 'P1', 'W', ?, 'S1', ?, "
                        "'2026-11-26', 'Small', 'Cash', 'Completed', ?, 1)", (f"TXN{10000000 + i}", qty, price, total))
        con.execute("INSERT INTO rejects(source_object, reason) VALUES ('transactions/a.csv', 'invalid_price')")
        con.execute("INSERT INTO load_ledger VALUES ('bucket', 'transactions/a.csv', 'e1', 'loaded', 'ld_1', "
                    "'jr_1', 6, 5, 1, '', '2026-11-26T00:00:00.000Z')")
        con.execute("INSERT INTO dim_products VALUES ('P1', 'W', 'Tools', '1299.90', 'S1', NULL)")
        con.commit()
        con.close()

        s = self.cli_json("status")["warehouse"]  # the first open migrates
        self.assertEqual((s["fact_rows"], s["reject_rows"], s["total_amount"], s["products"]),
                         (5, 1, "2494.77", 1))
        self.assertEqual(self.wh("PRAGMA user_version"), [(3,)])
        self.assertEqual(self.wh("SELECT transaction_id, price_cents, quantity, total_amount_cents, total_amount, "
                                 "source_object, load_id FROM fact_transactions ORDER BY total_amount DESC"),
                         [("TXN10000002", 12999, 10, 129990, 1299.9, "transactions/a.csv", "ld_1"),
                          ("TXN10000001", 9999, 10, 99990, 999.9, "transactions/a.csv", "ld_1"),
                          ("TXN10000003", 10, 1000, 10000, 100.0, "transactions/a.csv", "ld_1"),
                          ("TXN10000000", 2999, 3, 8997, 89.97, "transactions/a.csv", "ld_1"),
                          ("TXN10000004", 500, 1, 500, 5.0, "transactions/a.csv", "ld_1")])
        self.assertEqual(self.wh("SELECT price, price_cents FROM dim_products"), [(1299.9, 129990)])
        # The migrated warehouse loads on as usual.
        self.load_rows()
        s = self.cli_json("status")["warehouse"]
        self.assertEqual((s["fact_rows"], s["reject_rows"]), (5 + len(ROWS), 1))
        self.assertEqual(s["total_amount"], "5719.46")


class StatusTotalsTest(PipelineTest):
    def shown(self):
        w = self.cli_json("status")["warehouse"]
        return w["fact_rows"], w["reject_rows"], w["total_amount"]

    def test_status_reads_the_running_totals_not_the_tables(self):
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv(ROWS))
        self.process(expect_rc=0)
        self.assertEqual(self.shown(), (8, 0, "3224.69"))
        # A row written behind ecompipe's back is not counted: status does not scan the facts...
        con = sqlite3.connect(os.path.join(self.dir, "warehouse.db"))
        con.execute("INSERT INTO fact_transactions_data(transaction_id, total_amount_cents, load_ref) "
                    "VALUES ('TXN99999999', 100, 1)")
        con.commit()
        self.assertEqual(self.shown(), (8, 0, "3224.69"))
        # ...and deleting the totals row (as docs/warehouse.md says) has them counted again.
        con.execute("DELETE FROM warehouse_totals")
        con.commit()
        con.close()
        self.assertEqual(self.shown(), (9, 0, "3225.69"))


if __name__ == "__main__":
    unittest.main()
