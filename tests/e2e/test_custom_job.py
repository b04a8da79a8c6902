"""A job configured in ecompipe.yaml (a rename, an extra validation, derived columns, custom
bins and labels, its own output columns) loads the warehouse, and `ecompipe query` shows it.
A mistake in that section stops the pipeline with the line and what is wrong."""
import csv
import io
from decimal import Decimal
import os
import re

from harness import PipelineTest, rows_csv, tx_key

CUSTOM_JOB = """\
    validations:
      - {column: transaction_id, required: true, reason: missing_transaction_id}
      - {column: customer_id, pattern: "C[0-9]+", reason: malformed_customer_id}
      - {column: product_id, pattern: "P[0-9]+", reason: malformed_product_id}
      - {column: quantity, pattern: "[0-9]{1,9}", min: 1, reason: invalid_quantity}
      - {column: price, pattern: "[0-9]{1,12}(\\\\.[0-9]{1,2})?", reason: invalid_price}
      - {column: transaction_date, date: true, min: "2026-11-01", reason: invalid_date}
      - {name: card_only, column: payment_type, pattern: "Credit Card|Debit Card"}
      - {column: transaction_id, unique: true, reason: duplicate_transaction_id}
    lookups:
      - {dimension: customers, key: customer_id, columns: {email: buyer_email, membership_level: tier}}
      - {dimension: products, key: product_id, columns: [product_name, {price: list_price}]}
    derived:
      - {name: total_amount, expr: "quantity * price * (1 - 0.10)", scale: 2}
      - {name: saved, expr: "quantity * list_price - total_amount", scale: 2}
    classification:
      column: total_amount
      output: size
      bins:
        - {max: "50.00", label: budget}
        - {max: "200.00", label: standard}
        - {label: premium}
    output:
      - transaction_id
      - buyer_email
      - tier
      - product_name
      - {name: quantity, type: integer}
      - {name: price, type: decimal, scale: 2}
      - total_amount
      - saved
      - size
      - transaction_date
"""


def with_custom_job(config_text, job_text):
    """The init template with the job's spelled-out reference parts replaced by `job_text`."""
    start = config_text.index("    # What the job does")
    end = config_text.index("\ntopics:")
    return config_text[:start] + job_text + config_text[end:]


class CustomJobTest(PipelineTest):
    def configure(self, job_text):
        path = os.path.join(self.dir, "ecompipe.yaml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(with_custom_job(text, job_text))

    def test_custom_job_loads_its_columns_and_query_shows_them(self):
        self.configure(CUSTOM_JOB)
        self.land_reference_dims()
        rows = [
            "TXN00000001,C12345,P12345,3,29.99,2026-11-26,Credit Card,Completed",       # 80.97 standard
            "TXN00000002,C12346,P12354,1,14.99,2026-11-26,Debit Card,Completed",        # 13.49 budget
            "TXN00000003,C12347,P12348,5,99.99,2026-11-26,Cash on Delivery,Completed",  # card_only
            "TXN00000004,C12348,P12348,6,099.5,2026-11-26,Credit Card,Completed",       # 537.30 premium
            "TXN00000005,C12349,P12345,1,29.99,2026-10-31,Credit Card,Completed",       # before min
            "TXN00000001,C12345,P12345,3,29.99,2026-11-26,Credit Card,Completed",       # duplicate
            "TXN00000006,C99999,P12345,1,29.99,2026-11-26,Credit Card,Completed",       # unknown
        ]
        self.land(tx_key(26), rows_csv(rows))
        self.process(expect_rc=2)  # 4 of 7 rows rejected on purpose: over max_reject_rate 0.5
        self.assert_nothing_lost()

        r = self.run_cli("query", "SELECT transaction_id, buyer_email, tier, product_name, quantity, "
                         "price, total_amount, saved, size, transaction_date, customer_email "
                         "FROM fact_transactions ORDER BY transaction_id", "--format", "csv", check=True)
        got = list(csv.reader(io.StringIO(r.stdout)))
        self.assertEqual(got[0], ["transaction_id", "buyer_email", "tier", "product_name", "quantity",
                                  "price", "total_amount", "saved", "size", "transaction_date",
                                  "customer_email"])
        # Worked by hand: total = quantity * price * 0.9 (half away from zero), saved =
        # quantity * list_price - total; the reference column customer_email stays empty.
        # price and total_amount are numbers (shown as SQLite prints a REAL: 99.5), compared
        # as decimals here.
        for row in got[1:]:
            row[5:7] = ["%.2f" % Decimal(v) for v in row[5:7]]
        self.assertEqual(got[1:], [
            ["TXN00000001", "john.doe@example.com", "Gold", "Widget A", "3", "29.99", "80.97",
             "9.00", "standard", "2026-11-26", ""],
            ["TXN00000002", "alice.smith@example.com", "Silver", "Widget J", "1", "14.99", "13.49",
             "1.50", "budget", "2026-11-26", ""],
            ["TXN00000004", "emily.brown@example.com", "Gold", "Widget D", "6", "99.50", "537.30",
             "62.64", "premium", "2026-11-26", ""],
        ])
        reasons = dict(self.wh("SELECT reason, line FROM rejects ORDER BY line"))
        self.assertEqual(reasons, {"validation_failed:card_only": 4, "invalid_date": 6,
                                   "duplicate_transaction_id": 7, "unknown_customer_id": 8})
        detail = self.wh("SELECT detail FROM rejects WHERE line = 4")[0][0]
        self.assertEqual(detail, "payment_type 'Cash on Delivery' does not match Credit Card|Debit Card")

    def test_the_init_template_job_is_the_reference_job(self):
        self.land_reference_dims()
        self.land(tx_key(26), rows_csv([
            "TXN00000001,C12345,P12345,3,29.99,2026-11-26,Credit Card,Completed"]))
        self.process(expect_rc=0)
        self.assertEqual(self.wh("SELECT transaction_id, customer_email, quantity, price, total_amount, "
                                 "transaction_type FROM fact_transactions"),
                         [("TXN00000001", "john.doe@example.com", 3, 29.99, 89.97, "Small")])
        columns = [c for (c,) in self.wh("SELECT name FROM pragma_table_info('fact_transactions')")]
        self.assertNotIn("buyer_email", columns)
        self.assertEqual(len(columns), 18)  # 13 job columns, 3 of lineage, 2 of cents

    def test_a_mistake_in_the_job_names_the_line(self):
        bad = CUSTOM_JOB.replace("(1 - 0.10)", "(1 - discount)")
        self.configure(bad)
        with open(os.path.join(self.dir, "ecompipe.yaml")) as f:
            text = f.read()
        line = 1 + text[:text.index("(1 - discount)")].count("\n")
        r = self.process()
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, re.escape(f"ecompipe.yaml:{line}: 'jobs[0].derived[0].expr'") +
                         ".*reads unknown column 'discount'")
