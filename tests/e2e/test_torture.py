"""A short crash torture for every CI run: SIGKILLs of `ecompipe serve` at random moments, each
followed by a restart and the exact check of tests/torture/torture.py (facts = oracle, no
duplicate ids, one ledger row per object, one notification per run): 10 on SQLite, 5 on
PostgreSQL (where each restart waits for the dead worker's leases to run out).
scripts/torture.sh runs the full 100."""
import os
import sys

from harness import PipelineTest, WorkersTest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torture"))
import torture  # noqa: E402


class ShortTortureSqliteTest(torture.TortureMixin, PipelineTest):
    def test_kills_at_random_moments(self):
        self.run_torture(10)


class ShortTorturePostgresTest(torture.TortureMixin, WorkersTest):
    def test_kills_at_random_moments(self):
        self.run_torture(5)
