"""Acting on data after it was loaded (docs/after-the-fact.md), on the real binary: replaying
rejects (by hand and when a late dimension lands), reloading objects with the current job
definition, retrying failures, deletions and schema changes. Crash tests kill the command with
SIGKILL midway and check the warehouse against the torture oracle (tests/torture/torture.py)."""
import collections
import os
import random
import signal
import subprocess
import sys
import time

from harness import BIN, HEADER, PipelineTest, tx_key

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torture"))
import torture  # noqa: E402

CUSTOMERS_HEADER = "customer_id,first_name,last_name,email,membership_level\n"
PRODUCTS_HEADER = "product_id,product_name,category,price,supplier_id\n"


def customers(*ids):
    return CUSTOMERS_HEADER + "".join(f"{c},F,L,{c.lower()}@example.com,Gold\n" for c in ids)


class AfterTheFactTest(PipelineTest):
    def dims(self, customer_ids, product_ids=("P1",)):
        c = os.path.join(self.dir, "c.csv")
        p = os.path.join(self.dir, "p.csv")
        with open(c, "w") as f:
            f.write(customers(*customer_ids))
        with open(p, "w") as f:
            f.write(PRODUCTS_HEADER + "".join(f"{x},Widget,Gadgets,1.00,S1\n" for x in product_ids))
        self.run_cli("load-dims", "--customers", c, "--products", p, check=True)

    def facts(self):
        return {r[0]: r[1:] for r in self.wh(
            "SELECT transaction_id, customer_email, source_object FROM fact_transactions")}

    def rejects(self):
        return sorted(self.wh("SELECT id, source_object, line, reason FROM rejects"))

    def runs_of_kind(self, kind):
        return self.state("SELECT run_id, state, rows_read, rows_loaded, rows_rejected FROM runs "
                          "WHERE kind = ? ORDER BY started_at", kind)

    def assert_ledger_matches_tables(self):
        for key, read, loaded, rejected in self.wh(
                "SELECT key, rows_read, rows_loaded, rows_rejected FROM load_ledger "
                "WHERE status = 'loaded'"):
            self.assertEqual(read, loaded + rejected, key)
            n_facts = self.wh("SELECT count(*) FROM fact_transactions WHERE source_object = ?", key)[0][0]
            n_rejects = self.wh("SELECT count(*) FROM rejects WHERE source_object = ?", key)[0][0]
            self.assertEqual((n_facts, n_rejects), (loaded, rejected), key)
        totals = self.wh("SELECT fact_rows, reject_rows FROM warehouse_totals")[0]
        counted = (self.wh("SELECT count(*) FROM fact_transactions")[0][0],
                   self.wh("SELECT count(*) FROM rejects")[0][0])
        self.assertEqual(tuple(totals), counted)


class ReplayTest(AfterTheFactTest):
    ROWS = [
        "TXN1,C1,P1,2,10.00,2026-11-01,Card,Completed",     # a fact
        "TXN2,C2,P1,3,200.00,2026-11-01,Card,Completed",    # C2 arrives late
        "TXN3,C2,P9,1,5.00,2026-11-01,Card,Completed",      # C2 late, and P9 never comes
        "TXN4,C3,P1,1,1.00,2026-11-01,Card,Completed",      # C3 never comes
    ]

    def land_transactions(self):
        self.land(tx_key(1), HEADER + "\n" + "\n".join(self.ROWS) + "\n")

    def test_a_late_customers_file_replays_its_rows_once(self):
        self.dims(["C1"])
        self.land_transactions()
        self.process(expect_rc=2)  # 3 of 4 rejected: the quality gate fails the run
        self.assertEqual(set(self.facts()), {"TXN1"})
        # The customers file lands an hour later: upserted, then the rule replays.
        self.land("dimensions/customers/customers.csv", customers("C1", "C2"))
        self.process(expect_rc=0)
        self.assertEqual(self.facts()["TXN2"][0], "c2@example.com")
        self.assertEqual(set(self.facts()), {"TXN1", "TXN2"})
        self.assertEqual([(r[2], r[3]) for r in sorted(self.rejects(), key=lambda r: r[2])],
                         [(4, "unknown_product_id"), (5, "unknown_customer_id")])
        self.assertEqual([r[1:] for r in self.runs_of_kind("replay")], [("SUCCEEDED", 2, 1, 1)])
        self.assert_ledger_matches_tables()
        # One notification per run: the job's FAILED, the replay's SUCCEEDED.
        states = [(n["event"]["detail"]["state"], n["event"]["detail"].get("runKind", "job"))
                  for n in self.notifications()]
        self.assertEqual(states, [("FAILED", "job"), ("SUCCEEDED", "replay")])
        # Replaying again changes nothing: no run, no notification, the same reject rows.
        before = self.rejects()
        r = self.run_cli("rejects", "replay", check=True)
        self.assertIn("became facts        0", r.stdout)
        self.assertEqual(self.rejects(), before)
        self.assertEqual(len(self.runs_of_kind("replay")), 1)
        self.assertEqual(len(self.notifications()), 2)
        events = self.cli_json("events", "-n", "50")
        self.assertIn("Dimension Upserted", [e["detail-type"] for e in events])

    def test_a_replayed_id_that_is_already_a_fact_stays_a_duplicate(self):
        self.dims(["C1"])
        self.land(tx_key(1), HEADER + "\nTXN1,C1,P1,1,1.00,2026-11-01,Card,Completed\n")
        self.land(tx_key(2), HEADER + "\nTXN1,C2,P1,1,9.00,2026-11-02,Card,Completed\n"
                  "TXN5,C1,P1,1,1.00,2026-11-02,Card,Completed\n")
        self.process()
        self.dims(["C1", "C2"])
        self.run_cli("rejects", "replay", "--reason", "unknown_customer_id", check=True)
        self.assertEqual(self.facts()["TXN1"][1], tx_key(1))
        rejects = self.rejects()
        self.assertEqual([(r[1], r[3]) for r in rejects], [(tx_key(2), "duplicate_transaction_id")])
        self.run_cli("rejects", "replay", check=True)
        self.assertEqual(self.rejects(), rejects)
        self.assert_ledger_matches_tables()

    def test_dry_run_changes_nothing(self):
        self.dims(["C1"])
        self.land_transactions()
        self.process()
        before = (self.rejects(), self.facts())
        self.dims(["C1", "C2"])
        r = self.run_cli("rejects", "replay", "--dry-run", check=True)
        self.assertIn("Dry run: nothing was changed.", r.stdout)
        self.assertIn("would become facts  1", r.stdout)
        self.assertIn("would change reason 1", r.stdout)
        self.assertEqual((self.rejects(), self.facts()), before)
        self.assertEqual(self.runs_of_kind("replay"), [])


class KilledActionTest(torture.TortureMixin, AfterTheFactTest):
    """The torture oracle's files, loaded while part of the customers are missing; the customers
    then come, and the replay (or reload) is killed with SIGKILL midway and run again: the
    warehouse must hold exactly the oracle's facts and rejects."""

    def land_with_missing_customers(self, files=12):
        data = torture.Data(7)
        products, full_customers = data.dims(self.dir)
        keys = set()
        for i in range(files):
            key, text = data.new_file(i)
            self.land(key, text)
            keys.add(key)
        # Customers in a duplicate pair stay known: which row of a pair is the fact must not
        # depend on the order the rows became facts in.
        in_pairs = set()
        for _, text, _, _ in data.files:
            seen = collections.Counter(line.split(",")[0] for line in text.splitlines()[1:])
            in_pairs |= {line.split(",")[1] for line in text.splitlines()[1:]
                         if seen[line.split(",")[0]] > 1}
        rng = random.Random(3)
        free = [c for c in torture.CUSTOMERS if c not in in_pairs]
        missing = set(rng.sample(free, len(free) // 2))
        partial = os.path.join(self.dir, "partial.csv")
        with open(full_customers) as f, open(partial, "w") as out:
            for line in f:
                if line.split(",")[0] not in missing:
                    out.write(line)
        self.run_cli("load-dims", "--products", products, "--customers", partial, check=True)
        self.process()
        self.assertGreater(self.wh("SELECT count(*) FROM rejects WHERE reason = "
                                   "'unknown_customer_id'")[0][0], 200)
        return data, keys, full_customers

    def kill_midway(self, *args, after=1.0):
        env = {**os.environ, "ECOMPIPE_TEST_BATCH_DELAY_MS": "400"}
        p = subprocess.Popen([BIN, *args], cwd=self.dir, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.procs.append(p)
        time.sleep(after)
        p.send_signal(signal.SIGKILL)
        p.wait()

    def test_replay_killed_midway_and_run_again_leaves_every_row_once(self):
        data, keys, full_customers = self.land_with_missing_customers()
        # The customers go in directly (no event replays them), so the replay below is alone.
        self.run_cli("load-dims", "--customers", full_customers, check=True)
        before = self.wh("SELECT count(*) FROM rejects WHERE reason = 'unknown_customer_id'")[0][0]
        self.kill_midway("rejects", "replay", "--reason", "unknown_customer_id", after=1.5)
        partly = self.wh("SELECT count(*) FROM rejects WHERE reason = 'unknown_customer_id'")[0][0]
        self.run_cli("rejects", "replay", "--reason", "unknown_customer_id", check=True)
        self.run_cli("process", check=False)
        self.check(data, keys, "the replay killed and run again")
        self.assertTrue(0 < partly < before, (partly, before))  # killed between two commits
        self.assert_ledger_matches_tables()


class ReloadTest(torture.TortureMixin, AfterTheFactTest):
    def land_oracle_files(self, files=8):
        data = torture.Data(11)
        products, customers_file = data.dims(self.dir)
        self.run_cli("load-dims", "--products", products, "--customers", customers_file, check=True)
        keys = set()
        for i in range(files):
            key, text = data.new_file(i)
            self.land(key, text)
            keys.add(key)
        self.process()
        return data, keys

    def test_reload_after_a_bins_change_gives_the_oracles_new_classes(self):
        data, keys = self.land_oracle_files()
        config = os.path.join(self.dir, "ecompipe.yaml")
        with open(config) as f:
            text = f.read()
        with open(config, "w") as f:
            f.write(text.replace('{max: "100.00", label: Small}', '{max: "50.00", label: Small}')
                        .replace('{max: "500.00", label: Medium}', '{max: "200.00", label: Medium}'))
        stale = self.cli_json("objects", "--stale")
        self.assertEqual(sorted(o["key"] for o in stale), sorted(keys))
        r = self.run_cli("reload", "--stale", check=True)
        self.assertIn(f"Loaded {len(keys)} objects again", r.stdout)
        self.assertEqual(self.cli_json("objects", "--stale"), [])
        got = dict(self.wh("SELECT transaction_id, transaction_type FROM fact_transactions"))
        expected = {}
        for _, _, facts, _ in data.files:
            for tid, row in facts.items():
                total = torture.cents(row[9])
                expected[tid] = "Small" if total <= 5000 else "Medium" if total <= 20000 else "Large"
        self.assertEqual(got, expected)
        self.assertEqual(len(self.runs_of_kind("reload")), 1)
        self.assert_ledger_matches_tables()

    def test_reload_killed_midway_and_resumed_loads_every_object_once(self):
        data, keys = self.land_oracle_files()
        env = {**os.environ, "ECOMPIPE_TEST_BATCH_DELAY_MS": "300"}
        p = subprocess.Popen([BIN, "reload", "--prefix", "transactions/"], cwd=self.dir, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        time.sleep(1.5)
        p.send_signal(signal.SIGKILL)
        p.wait()
        queued = self.wh("SELECT count(*) FROM load_ledger WHERE status = 'queued'")[0][0]
        self.assertTrue(0 < queued < len(keys), queued)  # killed between two objects' commits
        r = self.run_cli("reload", check=True)  # no selection: finish what is queued
        self.assertIn(f"Loaded {queued} objects again", r.stdout)
        self.check(data, keys, "the reload killed and resumed")
        self.assert_ledger_matches_tables()
