"""A large object streamed from a real S3 API server (moto_server) with bounded memory.

The same file is loaded twice by `ecompipe process`, once from a local bucket and once from the
S3 bucket, and the peak RSS of the two processes is compared: the job's own memory (dimension
tables, the transaction id set, SQLite) is the same in both, so the difference is what reading
from S3 costs. Buffering the object whole would add its size; streaming adds a few MiB.

EP_S3_LARGE_MB sets the size (default 64, which CI runs). The 1 GB figure in docs/s3.md was
measured with EP_S3_LARGE_MB=1024 on the same test.
"""
import os
import shutil
import subprocess
import tempfile

from harness import BIN, PipelineTest, VALID_ROWS, HEADER
from s3_servers import BUCKET, MotoS3, require_tools, s3_key, s3_storage_yaml, set_storage

SIZE_MB = int(os.environ.get("EP_S3_LARGE_MB", "64"))


def write_rows(path, target_bytes):
    """Valid distinct transactions until the file holds `target_bytes`; returns the row count."""
    tails = [r.split(",", 1)[1] for r in VALID_ROWS]
    rows = 0
    with open(path, "w") as f:
        f.write(HEADER + "\n")
        written = len(HEADER) + 1
        block = []
        while written < target_bytes:
            line = f"TXN{rows + 1:09d},{tails[rows % len(tails)]}\n"
            block.append(line)
            written += len(line)
            rows += 1
            if len(block) == 10000:
                f.write("".join(block))
                block = []
        f.write("".join(block))
    return rows


def peak_rss_kib(args, cwd, env):
    """Runs ecompipe and returns (exit code, output, its own peak RSS in KiB)."""
    with tempfile.TemporaryFile() as log:
        p = subprocess.Popen([BIN, *args], cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        return p.returncode, log.read().decode(errors="replace"), usage.ru_maxrss


class LargeObjectTest(PipelineTest):
    def test_large_object_is_streamed_with_bounded_memory(self):
        require_tools(self)
        import boto3.s3.transfer
        moto = MotoS3()
        self.addCleanup(moto.stop)
        moto.start()
        s3 = moto.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"] = moto.key_id, moto.secret
        env = dict(os.environ)

        key = s3_key(26, "large.csv")
        src = os.path.join(self.dir, "large.csv")
        rows = write_rows(src, SIZE_MB << 20)
        size = os.path.getsize(src)

        # 1. From a local bucket.
        self.land_reference_dims()
        os.makedirs(os.path.dirname(os.path.join(self.bucket, key)), exist_ok=True)
        shutil.copy(src, os.path.join(self.bucket, key))
        rc, out, local_kib = peak_rss_kib(["process"], self.dir, env)
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.wh("SELECT rows_loaded FROM load_ledger WHERE key=?", key), [(rows,)])

        # 2. The same file from the S3 bucket (uploaded as boto3 does: multipart above 8 MB).
        s3.upload_file(src, BUCKET, key, Config=boto3.s3.transfer.TransferConfig(multipart_chunksize=16 << 20))
        os.remove(src)
        local_dir = self.dir
        self.dir = tempfile.mkdtemp(prefix="ecompipe-e2e-s3-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.run_cli("init", self.dir, cwd=None, check=True)
        set_storage(self, s3_storage_yaml(moto.endpoint))
        self.land_reference_dims()
        rc, out, s3_kib = peak_rss_kib(["process"], self.dir, env)
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.wh("SELECT rows_loaded FROM load_ledger WHERE key=?", key), [(rows,)])
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions"), [(rows,)])
        self.dir = local_dir

        extra_mib = (s3_kib - local_kib) / 1024
        print(f"\nobject {size / 2**20:.0f} MiB, {rows} rows: peak RSS local {local_kib / 1024:.0f} MiB, "
              f"s3 {s3_kib / 1024:.0f} MiB (+{extra_mib:.1f} MiB)")
        # Holding the object would cost its size; the stream's buffer is 4 MiB (plus curl's).
        self.assertLess(extra_mib, min(32, size / 2**20 / 2))
