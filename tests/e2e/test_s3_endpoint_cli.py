"""The S3 endpoint of `ecompipe serve` driven by the AWS CLI and by rclone, configured only
through environment variables and an endpoint URL."""
import hashlib
import os
import shutil
import subprocess
import time
import unittest

from harness import VALID_ROWS, rows_csv, tx_key
from s3_endpoint_util import ACCESS_KEY, BUCKET, REGION, SECRET_KEY, S3EndpointTest


class S3EndpointCliTest(S3EndpointTest):

    def tool(self, name):
        path = shutil.which(name)
        self.assertIsNotNone(path, f"{name} is not installed (scripts/install-deps.sh installs it)")
        return path

    def start_serve(self, env=None):
        # rclone is a Go program: it reads the clock without libc, so libfaketime cannot move it,
        # and its signatures would be a clock skew away from a faked server. When the suite runs
        # at a fixed clock (EP_TEST_CLOCK in scripts/test.sh), the rclone test's server keeps the
        # real clock too, so the two agree as they do on one machine.
        if self._testMethodName.startswith("test_rclone") and os.environ.get("FAKETIME"):
            env = {**(env or {}), "LD_PRELOAD": "", "FAKETIME": ""}
        return super().start_serve(env)

    def aws(self, *args, secret=SECRET_KEY, check=True):
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": secret,
               "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.path.join(self.dir, "no-aws-config"),
               "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.dir, "no-aws-credentials"),
               "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": ""}
        r = subprocess.run([self.tool("aws"), "--endpoint-url", self.endpoint, *args], env=env,
                           capture_output=True, text=True, timeout=300)
        if check:
            self.assertEqual(r.returncode, 0, f"aws {' '.join(args)}\n{r.stdout}\n{r.stderr}")
        return r

    def rclone(self, *args, check=True):
        # The endpoint is plain HTTP: an AWS_CA_BUNDLE from the environment would only make
        # rclone's SDK fail to build its transport.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env = {**env, "RCLONE_CONFIG": os.path.join(self.dir, "no-rclone.conf"),
               "RCLONE_CONFIG_EP_TYPE": "s3", "RCLONE_CONFIG_EP_PROVIDER": "Other",
               "RCLONE_CONFIG_EP_ACCESS_KEY_ID": ACCESS_KEY,
               "RCLONE_CONFIG_EP_SECRET_ACCESS_KEY": SECRET_KEY,
               "RCLONE_CONFIG_EP_ENDPOINT": self.endpoint, "RCLONE_CONFIG_EP_REGION": REGION}
        r = subprocess.run([self.tool("rclone"), "--retries", "1", "--low-level-retries", "1", *args],
                           env=env, capture_output=True, text=True, timeout=300)
        if check:
            self.assertEqual(r.returncode, 0, f"rclone {' '.join(args)}\n{r.stdout}\n{r.stderr}")
        return r

    def test_aws_cli_cp_ls_and_pipeline(self):
        local = os.path.join(self.dir, "transaction_2026-11-27.csv")
        with open(local, "w") as f:
            f.write(rows_csv(VALID_ROWS))
        self.aws("s3", "cp", local, f"s3://{BUCKET}/{tx_key(27)}")
        with open(os.path.join(self.bucket, tx_key(27))) as f:
            self.assertEqual(f.read(), rows_csv(VALID_ROWS))
        ls = self.aws("s3", "ls", f"s3://{BUCKET}/transactions/", "--recursive").stdout
        self.assertIn(tx_key(27), ls)
        top = self.aws("s3", "ls", f"s3://{BUCKET}/").stdout
        self.assertIn("PRE transactions/", top)
        self.assertIn(BUCKET, self.aws("s3", "ls").stdout)

        # 20 MB: the CLI uploads it in 8 MB parts.
        big = os.path.join(self.dir, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(20 << 20))
        self.aws("s3", "cp", big, f"s3://{BUCKET}/blobs/big.bin")
        head = self.aws("s3api", "head-object", "--bucket", BUCKET, "--key", "blobs/big.bin").stdout
        self.assertIn('-3\\"', head)
        back = os.path.join(self.dir, "back.bin")
        self.aws("s3", "cp", f"s3://{BUCKET}/blobs/big.bin", back)
        with open(big, "rb") as a, open(back, "rb") as b:
            self.assertEqual(hashlib.md5(a.read()).digest(), hashlib.md5(b.read()).digest())
        self.aws("s3", "rm", f"s3://{BUCKET}/blobs/big.bin")
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "blobs", "big.bin")))

        self.wait_for(lambda: self.wh("SELECT count(*) FROM fact_transactions WHERE source_object=?", tx_key(27))[0][0]
                      == len(VALID_ROWS), what="the CLI's upload to be loaded")
        self.assert_nothing_lost()

    def test_aws_cli_wrong_secret_is_a_clear_403(self):
        local = os.path.join(self.dir, "x.txt")
        with open(local, "w") as f:
            f.write("x")
        r = self.aws("s3", "cp", local, f"s3://{BUCKET}/x/x.txt", secret="wrong", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("SignatureDoesNotMatch", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "x", "x.txt")))

    def test_rclone_copy_ls_cat_multipart_and_delete(self):
        key = "transactions/year=2026/month=11/day=28/transaction_2026-11-28.csv"
        csv = os.path.join(self.dir, "transaction_2026-11-28.csv")
        with open(csv, "w") as f:
            f.write(rows_csv(VALID_ROWS))
        self.rclone("copyto", csv, f"ep:{BUCKET}/{key}")
        src = os.path.join(self.dir, "rclone-src")
        os.makedirs(src)
        with open(os.path.join(src, "blob.bin"), "wb") as f:
            f.write(os.urandom(12 << 20))
        with open(os.path.join(src, "small.txt"), "w") as f:
            f.write("small")
        # 5 MiB chunks above a 5 MiB cutoff: blob.bin goes up as a 3-part multipart upload.
        self.rclone("copy", src, f"ep:{BUCKET}/blobs", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M")
        listing = self.rclone("ls", f"ep:{BUCKET}").stdout
        self.assertIn(key, listing)
        self.assertIn(f"{12 << 20} blobs/blob.bin", listing)
        self.assertEqual(self.rclone("cat", f"ep:{BUCKET}/{key}").stdout, rows_csv(VALID_ROWS))
        # rclone's own check compares sizes and hashes (MD5 where the ETag allows it).
        self.rclone("check", src, f"ep:{BUCKET}/blobs")
        with open(os.path.join(src, "blob.bin"), "rb") as a, \
                open(os.path.join(self.bucket, "blobs", "blob.bin"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.rclone("delete", f"ep:{BUCKET}/blobs")
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "blobs", "blob.bin")))
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "blobs", "small.txt")))
        self.wait_for(lambda: self.wh("SELECT count(*) FROM fact_transactions WHERE source_object=?", key)[0][0]
                      == len(VALID_ROWS), what="rclone's upload to be loaded")
        time.sleep(1)
        self.assertEqual(len(self.object_created(key)), 1)

if __name__ == "__main__":
    unittest.main()
