"""Symbolic links in the bucket folder are never followed (issue 14 point 1).

Run as root, like the server that was found serving /etc/passwd: the "outside" folder stands
for /etc (a temporary folder outside the bucket, never the real /etc), and every entry point
is tried through a link to it: GET, HEAD, ListObjectsV2, PUT, CopyObject, DELETE, multipart,
the start-up rescan of `process` and `serve`, the inotify watcher, and `ecompipe put`. Each
test fails on a binary that follows links: it reads, lists, writes, deletes or loads through
one. Links are refused with 403 AccessDenied, whose message names keys, never server paths.
"""
import os
import shutil
import tempfile
import unittest

from botocore.exceptions import ClientError

from harness import VALID_ROWS, PipelineTest, rows_csv, tx_key
from s3_endpoint_util import BUCKET, S3EndpointTest

SECRET = "root:x:0:0:root:/root:/bin/bash\n"


def make_outside(test):
    """A folder outside the bucket standing for /etc: a secret file and a CSV of valid rows."""
    outside = tempfile.mkdtemp(prefix="ecompipe-outside-")
    test.addCleanup(shutil.rmtree, outside, ignore_errors=True)
    with open(os.path.join(outside, "passwd"), "w") as f:
        f.write(SECRET)
    with open(os.path.join(outside, "rows.csv"), "w") as f:
        f.write(rows_csv(VALID_ROWS))
    return outside


def link(target, bucket, key):
    """Places a symlink at `key`, atomically (made under a temporary name, then renamed), the
    way a downloader places a file; returns its path."""
    path = os.path.join(bucket, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".part")
    os.symlink(target, tmp)
    os.rename(tmp, path)
    return path


class SymlinkS3EndpointTest(S3EndpointTest):
    """The S3 endpoint of a running `ecompipe serve`, driven by boto3."""

    def setUp(self):
        super().setUp()
        self.outside = make_outside(self)
        self.s3 = self.client()
        self.s3.put_object(Bucket=BUCKET, Key="misc/real.txt", Body=b"real")
        link(os.path.join(self.outside, "passwd"), self.bucket, "misc/passwd")
        link(self.outside, self.bucket, "etc")

    def assert_refused(self, ctx):
        error = ctx.exception.response["Error"]
        status = ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"]
        self.assertEqual(status, 403, error)
        self.assertEqual(error.get("Code"), "AccessDenied", error)
        # The answer names keys, never where the bucket or the link's target live.
        for server_path in (self.outside, self.dir, self.bucket):
            self.assertNotIn(server_path, str(error))

    def outside_names(self):
        return sorted(os.listdir(self.outside))

    def test_get_and_head_refuse_a_file_link_and_a_linked_folder(self):
        for key in ("misc/passwd", "etc/passwd"):
            with self.assertRaises(ClientError) as ctx:
                body = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
                self.fail(f"GET {key} served {body!r}")
            self.assert_refused(ctx)
            with self.assertRaises(ClientError) as ctx:
                self.s3.head_object(Bucket=BUCKET, Key=key)
            self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403, key)
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="misc/real.txt")["Body"].read(), b"real")

    def test_list_skips_links_and_never_lists_into_a_linked_folder(self):
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        self.assertIn("misc/real.txt", keys)
        self.assertNotIn("misc/passwd", keys)
        self.assertFalse([k for k in keys if k.startswith("etc/")], keys)
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=BUCKET, Prefix="etc/"))
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=BUCKET, Prefix="etc/pass"))
        grouped = self.s3.list_objects_v2(Bucket=BUCKET, Delimiter="/")
        self.assertNotIn("etc/", [p["Prefix"] for p in grouped.get("CommonPrefixes", [])])
        self.wait_for(lambda: "Skipped a symbolic link. key=misc/passwd" in self.serve_log(),
                      timeout=30, what="the skipped link to be logged")

    def test_put_through_a_linked_folder_or_onto_a_link_is_refused(self):
        for key in ("etc/created-by-put", "etc/sub/created-by-put", "misc/passwd"):
            with self.assertRaises(ClientError) as ctx:
                self.s3.put_object(Bucket=BUCKET, Key=key, Body=b"written through a link")
            self.assert_refused(ctx)
        self.assertEqual(self.outside_names(), ["passwd", "rows.csv"])
        with open(os.path.join(self.outside, "passwd")) as f:
            self.assertEqual(f.read(), SECRET)
        self.assertTrue(os.path.islink(os.path.join(self.bucket, "misc", "passwd")))

    def test_copy_from_or_to_a_link_is_refused(self):
        for source in ("misc/passwd", "etc/passwd"):
            with self.assertRaises(ClientError) as ctx:
                self.s3.copy_object(Bucket=BUCKET, Key="copies/leak.txt",
                                    CopySource={"Bucket": BUCKET, "Key": source})
            self.assert_refused(ctx)
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "copies", "leak.txt")))
        for target in ("etc/copied.txt", "misc/passwd"):
            with self.assertRaises(ClientError) as ctx:
                self.s3.copy_object(Bucket=BUCKET, Key=target,
                                    CopySource={"Bucket": BUCKET, "Key": "misc/real.txt"})
            self.assert_refused(ctx)
        self.assertEqual(self.outside_names(), ["passwd", "rows.csv"])
        with open(os.path.join(self.outside, "passwd")) as f:
            self.assertEqual(f.read(), SECRET)

    def test_delete_of_a_link_keeps_the_link_and_its_target(self):
        for key in ("misc/passwd", "etc/passwd"):
            with self.assertRaises(ClientError) as ctx:
                self.s3.delete_object(Bucket=BUCKET, Key=key)
            self.assert_refused(ctx)
        result = self.s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "etc/rows.csv"}]})
        self.assertEqual([e["Code"] for e in result.get("Errors", [])], ["AccessDenied"])
        self.assertEqual(self.outside_names(), ["passwd", "rows.csv"])
        self.assertTrue(os.path.islink(os.path.join(self.bucket, "misc", "passwd")))

    def test_multipart_upload_into_a_linked_folder_is_refused(self):
        part = os.urandom(5 << 20)
        with self.assertRaises(ClientError) as ctx:
            upload = self.s3.create_multipart_upload(Bucket=BUCKET, Key="etc/big.bin")
            etag = self.s3.upload_part(Bucket=BUCKET, Key="etc/big.bin", UploadId=upload["UploadId"],
                                       PartNumber=1, Body=part)["ETag"]
            self.s3.complete_multipart_upload(
                Bucket=BUCKET, Key="etc/big.bin", UploadId=upload["UploadId"],
                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assert_refused(ctx)
        self.assertEqual(self.outside_names(), ["passwd", "rows.csv"])

    def test_multipart_completed_after_the_folder_became_a_link_is_refused(self):
        # The key's folder is real when the upload starts and a link when it completes.
        os.makedirs(os.path.join(self.bucket, "later"))
        upload = self.s3.create_multipart_upload(Bucket=BUCKET, Key="later/big.bin")
        etag = self.s3.upload_part(Bucket=BUCKET, Key="later/big.bin", UploadId=upload["UploadId"],
                                   PartNumber=1, Body=b"tail")["ETag"]
        os.rmdir(os.path.join(self.bucket, "later"))
        os.symlink(self.outside, os.path.join(self.bucket, "later"))
        with self.assertRaises(ClientError) as ctx:
            self.s3.complete_multipart_upload(
                Bucket=BUCKET, Key="later/big.bin", UploadId=upload["UploadId"],
                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assert_refused(ctx)
        self.assertEqual(self.outside_names(), ["passwd", "rows.csv"])

    def test_link_placed_while_serving_is_not_loaded(self):
        # inotify: a link to a CSV of valid rows, and a folder of the bucket replaced by a link
        # to a folder holding one, appear while `serve` runs.
        link(os.path.join(self.outside, "rows.csv"), self.bucket, tx_key(25))
        os.makedirs(os.path.join(self.bucket, os.path.dirname(tx_key(27))))
        link(self.outside, self.bucket, os.path.dirname(tx_key(26)))
        # A real file landed afterwards loads (inotify keeps the order of events, so the links
        # were seen before it); the links never do.
        self.land(tx_key(27), rows_csv(VALID_ROWS))
        self.wait_for(lambda: self.wh("SELECT count(*) FROM load_ledger")[0][0] >= 1, what="the real file to load")
        self.assertEqual(self.stop(self.serve), 0)
        self.assertEqual(self.wh("SELECT key FROM load_ledger"), [(tx_key(27),)])
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], len(VALID_ROWS))
        self.assertFalse(self.object_created(tx_key(25)))
        self.assertIn(f"Skipped a symbolic link. key={tx_key(25)} reason=", self.serve_log())
        self.assertIn(f"Skipped a symbolic link. key={os.path.dirname(tx_key(26))} reason=", self.serve_log())


class SymlinkRescanTest(PipelineTest):
    """The start-up rescan (`process`, `serve`) and `ecompipe put`, with links in the bucket
    before anything runs."""

    def setUp(self):
        super().setUp()
        self.outside = make_outside(self)
        self.land_reference_dims()
        self.land(tx_key(24), rows_csv(VALID_ROWS))
        link(os.path.join(self.outside, "rows.csv"), self.bucket, tx_key(25))
        link(os.path.join(self.outside, "passwd"), self.bucket, tx_key(26))
        link(self.outside, self.bucket, os.path.dirname(tx_key(27)))
        link(os.path.join(self.outside, "missing.csv"), self.bucket, tx_key(28))  # dangling

    def assert_only_the_real_file_loaded(self, log):
        self.assertEqual(self.wh("SELECT key FROM load_ledger"), [(tx_key(24),)])
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], len(VALID_ROWS))
        self.assertEqual(self.wh("SELECT count(*) FROM rejects")[0][0], 0)
        for key in (tx_key(25), tx_key(26), os.path.dirname(tx_key(27)), tx_key(28)):
            self.assertIn(f"Skipped a symbolic link. key={key} reason=", log)
        self.assertNotIn(self.outside, log)

    def test_process_rescan_skips_links(self):
        r = self.process(expect_rc=0)
        self.assert_only_the_real_file_loaded(r.stdout + r.stderr)

    def test_serve_rescan_skips_links(self):
        serve = self.start_serve()
        self.wait_for(lambda: self.wh("SELECT count(*) FROM load_ledger")[0][0] >= 1, what="the real file to load")
        self.assertEqual(self.stop(serve), 0)
        with open(os.path.join(self.dir, "serve-0.log")) as f:
            self.assert_only_the_real_file_loaded(f.read())

    def test_put_cli_refuses_a_linked_folder(self):
        source = os.path.join(self.dir, "upload.csv")
        with open(source, "w") as f:
            f.write(rows_csv(VALID_ROWS))
        r = self.run_cli("put", source, os.path.dirname(tx_key(27)) + "/new.csv")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("symbolic link", r.stderr)
        self.assertEqual(sorted(os.listdir(self.outside)), ["passwd", "rows.csv"])
        r = self.run_cli("put", source, tx_key(26))
        self.assertNotEqual(r.returncode, 0, r.stdout)
        with open(os.path.join(self.outside, "passwd")) as f:
            self.assertEqual(f.read(), SECRET)


class BucketRootLinkTest(PipelineTest):
    """A bucket configured at a path that is itself a link works: resolved once, at start."""

    def test_bucket_path_that_is_a_link_works(self):
        real = os.path.join(self.dir, "real-bucket")
        os.rename(self.bucket, real)
        os.symlink(real, self.bucket)
        self.land_reference_dims()
        self.land(tx_key(24), rows_csv(VALID_ROWS))
        source = os.path.join(self.dir, "upload.csv")
        with open(source, "w") as f:
            # New transaction ids: the same rows again would be duplicates, which break the
            # job's quality gate (a failed run, exit 2) and are not what this test is about.
            f.write(rows_csv([r.replace("TXN0000000", "TXN0000010") for r in VALID_ROWS[:2]]))
        self.run_cli("put", source, tx_key(25, "put.csv"), check=True)
        self.assertTrue(os.path.isfile(os.path.join(real, tx_key(25, "put.csv"))))
        self.process(expect_rc=0)
        self.assertEqual(sorted(k for (k,) in self.wh("SELECT key FROM load_ledger")),
                         [tx_key(24), tx_key(25, "put.csv")])
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], len(VALID_ROWS) + 2)


if __name__ == "__main__":
    unittest.main()
