"""Redshift's S3 staging against real servers: the unit tests in
tests/unit/warehouse/redshift_staging_test.cc that need an S3 API run here, against a moto_server
with IAM authentication on (every signature checked) and the PostgreSQL server of scripts/test.sh.

- RedshiftStagingS3Test: the gzip'd CSV parts and the manifest are uploaded, hold the facts (read
  back, gunzipped, parsed) and are deleted afterwards.
- RedshiftS3LoadTest: the Redshift dialect's whole load path on PostgreSQL 15, where one step, the
  COPY FROM 's3://…' that PostgreSQL cannot run, is done by a test-only stand-in that fetches the
  manifest's parts from moto and COPYs them FROM STDIN (see that file and docs/warehouse.md).

Afterwards the bucket, listed with boto3, must be empty: every staged object was deleted.
"""
import os
import re
import subprocess
import unittest

from s3_servers import MotoS3, require_tools

STAGING_BUCKET = "ecompipe-staging-test"


class RedshiftStagingTest(unittest.TestCase):
    def setUp(self):
        require_tools(self)
        self.pg_url = os.environ.get("EP_TEST_PG_URL", "")
        if not self.pg_url:
            if os.environ.get("EP_TEST_REQUIRE_SERVERS") == "1":
                self.fail("EP_TEST_PG_URL is not set (scripts/test.sh starts a PostgreSQL server and sets it)")
            self.skipTest("EP_TEST_PG_URL is not set (scripts/test.sh starts a PostgreSQL server and sets it)")
        self.unit = os.environ.get("EP_UNIT_WAREHOUSE_BIN", "")
        self.assertTrue(self.unit and os.path.exists(self.unit),
                        "EP_UNIT_WAREHOUSE_BIN must name the unit_warehouse test binary (ctest sets it)")
        self.moto = MotoS3()
        self.moto.start()
        self.addCleanup(self.moto.stop)
        self.s3 = self.moto.client("s3")
        self.s3.create_bucket(Bucket=STAGING_BUCKET)

    def test_staging_and_load_path_against_moto_and_postgres(self):
        env = {**os.environ, "EP_TEST_S3_ENDPOINT": self.moto.endpoint, "EP_TEST_S3_BUCKET": STAGING_BUCKET,
               "EP_TEST_S3_KEY_ID": self.moto.key_id, "EP_TEST_S3_SECRET": self.moto.secret,
               "EP_TEST_PG_URL": self.pg_url}
        run = subprocess.run([self.unit, "--gtest_filter=RedshiftStagingS3Test.*:RedshiftS3LoadTest.*"],
                             env=env, capture_output=True, text=True, timeout=600)
        out = run.stdout + run.stderr
        self.assertEqual(run.returncode, 0, out[-6000:])
        self.assertNotIn("[  SKIPPED ]", out, "a staging test skipped although moto and PostgreSQL are up")
        passed = re.search(r"\[  PASSED  \] (\d+) tests?", out)
        self.assertIsNotNone(passed, out[-3000:])
        self.assertEqual(int(passed.group(1)), 7, out[-3000:])
        listed = self.s3.list_objects_v2(Bucket=STAGING_BUCKET)
        self.assertEqual(listed.get("KeyCount"), 0,
                         [o["Key"] for o in listed.get("Contents", [])][:10])


if __name__ == "__main__":
    unittest.main()
