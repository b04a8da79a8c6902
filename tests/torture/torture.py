"""Crash torture: `ecompipe serve` is killed with SIGKILL at random moments while files land and
flow through crawl, load, commit and notification, then restarted; after every restart, once the
pipeline is quiet again, the whole state is checked exactly:

  - facts = the oracle's: every landed file's rows are split into facts and rejects by a plain
    Python implementation of the reference job's rules (below), and the warehouse must hold
    exactly those facts (every column the job computes) and those reject counts per file and
    reason;
  - no transaction id twice in the facts;
  - one ledger row per object, loaded;
  - notifications once per run: every finished run (SUCCEEDED, or FAILED when a kill cut it)
    is in notifications.jsonl under exactly one notification id (a delivery repeated after a
    kill keeps its id, as at-least-once delivery allows), and no notification names a run that
    does not exist.

Replay (re-running the load of a past object on demand) does not exist yet, so it is not
tortured.

Run through scripts/torture.sh (KILLS, BACKEND, SEED), or directly:
  cd tests/torture && ECOMPIPE_BIN=... EP_TORTURE_KILLS=100 python3 -m unittest -v torture
Backends: TortureSqlite (state and warehouse in SQLite files) and TorturePostgres (both in a
fresh PostgreSQL database; needs EP_TEST_PG_URL, as the e2e WorkersTest). The seed makes the
data and the kill moments reproducible (the machine's timing still varies).
"""
import collections
import os
import random
import signal
import sys
import time
import unittest
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from harness import HEADER, PipelineTest, WorkersTest, tx_key  # noqa: E402

KILLS = int(os.environ.get("EP_TORTURE_KILLS", "100"))
SEED = int(os.environ.get("EP_TORTURE_SEED", "1"))

CUSTOMERS = [f"C{1000 + i}" for i in range(200)]
PRODUCTS = [f"P{500 + i}" for i in range(40)]
PRICES = ["29.99", "5", "5.5", "100.00", "0.10", "499.95", "12.34", "250"]
PAYMENTS = ["Credit Card", "Debit Card", "Cash on Delivery"]

# One fault per faulty row, each naming its reason unambiguously (rule order does not matter).
FAULTS = {
    "malformed_transaction_id": lambda r: r.update(tid="TX" + r["tid"][3:]),
    "malformed_customer_id": lambda r: r.update(customer="c" + r["customer"][1:]),
    "malformed_product_id": lambda r: r.update(product="P-" + r["product"][1:]),
    "invalid_quantity": lambda r: r.update(quantity="0"),
    "invalid_price": lambda r: r.update(price="abc"),
    "invalid_date": lambda r: r.update(date="2026-02-30"),
    "unknown_customer_id": lambda r: r.update(customer="C9999999"),
    "unknown_product_id": lambda r: r.update(product="P9999999"),
}


def cents(price):
    return int((Decimal(price) * 100).to_integral_exact())


def money(c):
    return f"{c // 100}.{c % 100:02d}"


class Data:
    """The torture's files and what the job must make of each (the oracle)."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.next_id = 1
        self.files = []  # (key, text, facts {tid: tuple}, reject counts {reason: n})

    def dims(self, folder):
        customers = os.path.join(folder, "customers.csv")
        with open(customers, "w") as f:
            f.write("customer_id,first_name,last_name,email,membership_level,row_num\n")
            for i, c in enumerate(CUSTOMERS):
                f.write(f"{c},First{i},Last{i},{c.lower()}@example.com,Gold,{i + 1}\n")
        products = os.path.join(folder, "products.csv")
        with open(products, "w") as f:
            f.write("product_id,product_name,category,price,supplier_id\n")
            for i, p in enumerate(PRODUCTS):
                name = f'"Widget {i}, large"' if i % 5 == 0 else f"Widget {i}"
                f.write(f"{p},{name},Gadgets,1.00,S{100 + i}\n")
        return products, customers

    def new_file(self, index):
        rng = self.rng
        day = 1 + index % 28
        key = tx_key(day, f"torture_{index:04d}.csv")
        lines, facts, rejects = [], {}, collections.Counter()
        for _ in range(rng.choice([20, 200, 1000, 3000])):
            row = {"tid": f"TXN{self.next_id:09d}", "customer": rng.choice(CUSTOMERS),
                   "product": rng.choice(PRODUCTS), "quantity": str(rng.randint(1, 20)),
                   "price": rng.choice(PRICES), "date": f"2026-11-{rng.randint(1, 30):02d}",
                   "payment": rng.choice(PAYMENTS), "status": rng.choice(["Completed", "Pending"])}
            self.next_id += 1
            reason = None
            roll = rng.random()
            if roll < 0.03:
                reason = rng.choice(sorted(FAULTS))
                FAULTS[reason](row)
            elif roll < 0.04 and facts:
                reason = "duplicate_transaction_id"  # an earlier fact's id, again, in this file
                row["tid"] = rng.choice(sorted(facts))
            fields = [row[k] for k in ("tid", "customer", "product", "quantity", "price", "date",
                                       "payment", "status")]
            lines.append(",".join(f'"{v}"' if " " in v and rng.random() < 0.3 else v
                                  for v in fields))
            if reason:
                rejects[reason] += 1
                continue
            total = int(row["quantity"]) * cents(row["price"])
            kind = "Small" if total <= 10000 else "Medium" if total <= 50000 else "Large"
            facts[row["tid"]] = (row["customer"], f"{row['customer'].lower()}@example.com",
                                 row["product"], int(row["quantity"]), money(cents(row["price"])),
                                 row["date"], kind, row["payment"], row["status"], money(total),
                                 key)
        text = HEADER + "\n" + "".join(line + "\n" for line in lines)
        self.files.append((key, text, facts, dict(rejects)))
        return key, text


class TortureMixin:
    """The torture loop; the backend's class gives wh() and state() (harness)."""

    def count(self, rows):
        return int(rows[0][0])

    def quiet(self, keys):
        """True once every landed key is loaded and nothing is running or waiting to be sent."""
        loaded = self.count(self.wh("SELECT count(*) FROM load_ledger WHERE status='loaded'"))
        if loaded < len(keys):
            return False
        if self.count(self.state("SELECT count(*) FROM runs WHERE state IN ('STARTING','RUNNING')")):
            return False
        if self.count(self.state("SELECT count(*) FROM deliveries WHERE status='pending'")):
            return False
        return self.count(self.state("SELECT count(*) FROM notifications WHERE status='pending'")) == 0

    def check(self, data, landed, where):
        msg = f"after {where}"
        expected_facts = {}
        expected_rejects = collections.Counter()
        for key, _, facts, rejects in data.files:
            if key in landed:
                expected_facts.update(facts)
                for reason, n in rejects.items():
                    expected_rejects[(key, reason)] += n
        # One ledger row per object, every one loaded.
        ledger = self.wh("SELECT key, status, count(*) FROM load_ledger GROUP BY key, status")
        self.assertEqual(sorted((k, s, int(n)) for k, s, n in ledger),
                         sorted((k, "loaded", 1) for k in landed), msg)
        # No transaction id twice, and exactly the oracle's facts.
        n, distinct = self.wh("SELECT count(*), count(DISTINCT transaction_id) FROM fact_transactions")[0]
        self.assertEqual(int(n), int(distinct), msg + ": a transaction id twice in the facts")
        rows = self.wh("SELECT transaction_id, customer_id, customer_email, product_id, quantity, "
                       "price, transaction_date, transaction_type, payment_type, status, "
                       "total_amount, source_object FROM fact_transactions")
        got = {r[0]: (r[1], r[2], r[3], int(r[4]), money(cents(str(r[5]))), r[6], r[7], r[8], r[9],
                      money(cents(str(r[10]))), r[11]) for r in rows}
        if got != expected_facts:
            missing = sorted(set(expected_facts) - set(got))[:5]
            extra = sorted(set(got) - set(expected_facts))[:5]
            wrong = [t for t in expected_facts if t in got and got[t] != expected_facts[t]][:3]
            self.fail(f"{msg}: facts differ from the oracle's: {len(got)} vs {len(expected_facts)}; "
                      f"missing {missing}, extra {extra}, wrong "
                      f"{[(t, got[t], expected_facts[t]) for t in wrong]}")
        rejects = self.wh("SELECT source_object, reason, count(*) FROM rejects "
                          "GROUP BY source_object, reason")
        self.assertEqual({(k, r): int(c) for k, r, c in rejects}, dict(expected_rejects), msg)
        # Notifications once per run, by notification (delivery) id.
        runs = {r[0]: r[1] for r in self.state("SELECT run_id, state FROM runs")}
        finished = {r for r, s in runs.items() if s in ("SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED")}
        ids_by_run = collections.defaultdict(set)
        for n in self.notifications():
            detail = n.get("event", {}).get("detail", {})
            if "jobRunId" in detail:
                ids_by_run[detail["jobRunId"]].add(n["notification_id"])
        unknown = set(ids_by_run) - set(runs)
        self.assertFalse(unknown, f"{msg}: notifications for runs that do not exist: {unknown}")
        counts = {r: len(ids_by_run.get(r, ())) for r in finished}
        self.assertEqual({r: c for r, c in counts.items() if c != 1}, {},
                         f"{msg}: finished runs not notified exactly once (run: distinct ids)")
        return len(finished)

    def phase_of(self, new_keys):
        """What the killed serve was doing with the files landed this round, from the state it
        left: not yet seen (landing), seen but not loaded (crawl, or load when a run was open;
        a load's commit is its last moment), loaded with notifications still to send
        (notification), or done (idle)."""
        seen = {k for (k,) in self.state("SELECT key FROM seen_objects")}
        if not new_keys <= seen:
            return "landing"
        loaded = {k for (k,) in self.wh("SELECT key FROM load_ledger")}
        if not new_keys <= loaded:
            running = self.count(self.state("SELECT count(*) FROM runs WHERE state IN ('STARTING','RUNNING')"))
            return "load/commit" if running else "crawl"
        pending = self.count(self.state("SELECT count(*) FROM deliveries WHERE status='pending'"))
        pending += self.count(self.state("SELECT count(*) FROM notifications WHERE status='pending'"))
        return "notification" if pending else "idle"

    def run_torture(self, kills):
        rng = random.Random(SEED * 7919 + 1)
        data = Data(SEED)
        products, customers = data.dims(self.dir)
        self.run_cli("load-dims", "--products", products, "--customers", customers, check=True)
        landed = set()
        phases = collections.Counter()
        started = time.time()
        serve = self.start_serve()
        index = 0
        runs = 0
        for kill in range(kills):
            # The next victim's loads are slowed down at random (a pause per batch of facts),
            # so that kills land inside loads as well as between them.
            env_delay = rng.choice([None, None, "50", "300"])
            new_keys = set()
            for _ in range(rng.randint(1, 3)):
                key, text = data.new_file(index)
                index += 1
                self.land(key, text)
                new_keys.add(key)
            landed |= new_keys
            # Any moment from the landing to after the load: 0-50 ms mostly hits the landing
            # itself, longer waits the crawl, load, commit and notification.
            time.sleep(rng.choice([rng.uniform(0, 0.05), rng.uniform(0, 0.25), rng.uniform(0, 0.8)]))
            serve.send_signal(signal.SIGKILL)
            serve.wait()
            phases[self.phase_of(new_keys)] += 1
            env = {"ECOMPIPE_TEST_BATCH_DELAY_MS": env_delay} if env_delay else None
            serve = self.start_serve(env=env)
            self.wait_for(lambda: self.quiet(landed), timeout=300,
                          what=f"the pipeline to be quiet after kill {kill + 1}")
            runs = self.check(data, landed, f"kill {kill + 1}")
        self.assertEqual(self.stop(serve), 0)
        runs = self.check(data, landed, "the final stop")
        facts = sum(len(f[2]) for f in data.files)
        summary = (f"torture {type(self).__name__}: {kills} kills, {len(landed)} files, {facts} facts, "
                   f"{runs} runs, {time.time() - started:.0f} s; kills by phase: "
                   + ", ".join(f"{p} {n}" for p, n in sorted(phases.items())))
        print(summary, file=sys.stderr)
        out = os.environ.get("EP_TORTURE_SUMMARY")
        if out:
            with open(out, "a") as f:
                f.write(summary + "\n")


class TortureSqlite(TortureMixin, PipelineTest):
    def test_sigkill_at_random_moments(self):
        self.run_torture(KILLS)


class TorturePostgres(TortureMixin, WorkersTest):
    LEASE_SECONDS = 2

    def test_sigkill_at_random_moments(self):
        self.run_torture(KILLS)


def load_tests(loader, tests, pattern):
    """EP_TORTURE_BACKEND=sqlite|postgres picks one; both by default."""
    backend = os.environ.get("EP_TORTURE_BACKEND", "")
    classes = {"sqlite": [TortureSqlite], "postgres": [TorturePostgres]}.get(
        backend, [TortureSqlite, TorturePostgres])
    suite = unittest.TestSuite()
    for cls in classes:
        suite.addTests(loader.loadTestsFromTestCase(cls))
    return suite
