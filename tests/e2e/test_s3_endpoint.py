"""The S3 endpoint of `ecompipe serve`, driven by boto3 (the real client, unchanged but for
endpoint_url): objects, ranges, listings, multipart, presigned URLs, authentication, hostile
requests, and the pipeline's reaction to uploads."""
import datetime
import hashlib
import os
import tempfile
import time
import unittest
import unittest.mock
import urllib.request

from botocore.exceptions import ClientError

from harness import VALID_ROWS, rows_csv, tx_key
from s3_endpoint_util import ACCESS_KEY, BUCKET, REGION, SECRET_KEY, S3EndpointTest


def error_code(ctx):
    return ctx.exception.response["Error"]["Code"]


class S3EndpointBoto3Test(S3EndpointTest):

    def test_put_get_range_head_list_delete(self):
        s3 = self.client()
        body = b"0123456789abcdefghij" * 10
        r = s3.put_object(Bucket=BUCKET, Key="misc/a.txt", Body=body, ContentType="text/plain",
                          Metadata={"origin": "unit"})
        self.assertEqual(r["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
        # The object is a plain file in the bucket folder.
        with open(os.path.join(self.bucket, "misc", "a.txt"), "rb") as f:
            self.assertEqual(f.read(), body)

        got = s3.get_object(Bucket=BUCKET, Key="misc/a.txt")
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["ContentType"], "text/plain")
        self.assertEqual(got["Metadata"], {"origin": "unit"})
        self.assertEqual(got["ETag"], r["ETag"])

        part = s3.get_object(Bucket=BUCKET, Key="misc/a.txt", Range="bytes=10-19")
        self.assertEqual(part["Body"].read(), body[10:20])
        self.assertEqual(part["ContentRange"], f"bytes 10-19/{len(body)}")
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="misc/a.txt", Range="bytes=-5")["Body"].read(), body[-5:])
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="misc/a.txt", Range="bytes=190-")["Body"].read(), body[190:])
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="misc/a.txt", Range="bytes=195-5000")["Body"].read(), body[195:])
        with self.assertRaises(ClientError) as ctx:
            s3.get_object(Bucket=BUCKET, Key="misc/a.txt", Range="bytes=500-600")
        self.assertEqual(error_code(ctx), "InvalidRange")

        head = s3.head_object(Bucket=BUCKET, Key="misc/a.txt")
        self.assertEqual(head["ContentLength"], len(body))
        self.assertEqual(head["ETag"], r["ETag"])
        with self.assertRaises(ClientError) as ctx:
            s3.head_object(Bucket=BUCKET, Key="misc/nope.txt")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        with self.assertRaises(ClientError) as ctx:
            s3.get_object(Bucket=BUCKET, Key="misc/nope.txt")
        self.assertEqual(error_code(ctx), "NoSuchKey")

        for key in ("misc/b.txt", "misc/sub/c.txt", "misc/sub/deeper/d.txt", "other/e.txt",
                    "misc/with space+plus.txt"):
            s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="misc/")
        self.assertEqual([o["Key"] for o in listed["Contents"]],
                         ["misc/a.txt", "misc/b.txt", "misc/sub/c.txt", "misc/sub/deeper/d.txt",
                          "misc/with space+plus.txt"])
        self.assertEqual(listed["Contents"][0]["Size"], len(body))
        grouped = s3.list_objects_v2(Bucket=BUCKET, Prefix="misc/", Delimiter="/")
        self.assertEqual([o["Key"] for o in grouped["Contents"]],
                         ["misc/a.txt", "misc/b.txt", "misc/with space+plus.txt"])
        self.assertEqual([p["Prefix"] for p in grouped["CommonPrefixes"]], ["misc/sub/"])
        top = s3.list_objects_v2(Bucket=BUCKET, Delimiter="/")
        self.assertIn("misc/", [p["Prefix"] for p in top["CommonPrefixes"]])
        after = s3.list_objects_v2(Bucket=BUCKET, Prefix="misc/", StartAfter="misc/b.txt")
        self.assertEqual(after["Contents"][0]["Key"], "misc/sub/c.txt")
        v1 = s3.list_objects(Bucket=BUCKET, Prefix="misc/sub/")
        self.assertEqual([o["Key"] for o in v1["Contents"]], ["misc/sub/c.txt", "misc/sub/deeper/d.txt"])

        copied = s3.copy_object(Bucket=BUCKET, Key="copies/a.txt", CopySource={"Bucket": BUCKET, "Key": "misc/a.txt"})
        self.assertEqual(copied["CopyObjectResult"]["ETag"], r["ETag"])
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="copies/a.txt")["Body"].read(), body)
        # A source key with characters the client percent-encodes in x-amz-copy-source.
        odd = "misc/with space+plus.txt"
        s3.copy_object(Bucket=BUCKET, Key="copies/year=2024/b c+d%.txt", CopySource={"Bucket": BUCKET, "Key": odd})
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="copies/year=2024/b c+d%.txt")["Body"].read(), odd.encode())

        s3.delete_object(Bucket=BUCKET, Key="misc/a.txt")
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "misc", "a.txt")))
        s3.delete_object(Bucket=BUCKET, Key="misc/a.txt")  # S3: deleting a missing key is fine
        deleted = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "misc/b.txt"}, {"Key": "other/e.txt"}]})
        self.assertEqual(sorted(d["Key"] for d in deleted["Deleted"]), ["misc/b.txt", "other/e.txt"])
        self.assertNotIn("other/", [p["Prefix"] for p in s3.list_objects_v2(Bucket=BUCKET, Delimiter="/").get("CommonPrefixes", [])])

        self.assertEqual([b["Name"] for b in s3.list_buckets()["Buckets"]], [BUCKET])
        s3.head_bucket(Bucket=BUCKET)
        with self.assertRaises(ClientError) as ctx:
            s3.head_bucket(Bucket="someone-elses")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        self.assertIn(s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"], (None, ""))

    def test_multipart_100mb_lands_once_with_multipart_etag(self):
        s3 = self.client()
        path = os.path.join(self.dir, "big.bin")
        block = os.urandom(1 << 20)
        with open(path, "wb") as f:
            for i in range(100):
                f.write(bytes([i]) + block[1:])
        s3.upload_file(path, BUCKET, "uploads/big.bin")  # boto3 goes multipart above 8 MB
        head = s3.head_object(Bucket=BUCKET, Key="uploads/big.bin")
        self.assertEqual(head["ContentLength"], 100 << 20)
        # 8 MiB parts: 13 of them. The ETag is S3's: MD5 of the part MD5s, then "-13".
        md5s = b""
        with open(path, "rb") as f:
            while chunk := f.read(8 << 20):
                md5s += hashlib.md5(chunk).digest()
        self.assertEqual(head["ETag"], '"%s-13"' % hashlib.md5(md5s).hexdigest())
        with open(path, "rb") as f:
            whole = hashlib.md5(f.read()).hexdigest()
        with open(os.path.join(self.bucket, "uploads", "big.bin"), "rb") as f:
            self.assertEqual(hashlib.md5(f.read()).hexdigest(), whole)
        ranged = s3.get_object(Bucket=BUCKET, Key="uploads/big.bin", Range=f"bytes={(50 << 20) - 3}-{(50 << 20) + 2}")
        self.assertEqual(ranged["Body"].read(), block[-3:] + bytes([50]) + block[1:3])
        # Parts were staged aside and are gone; the event fired exactly once.
        self.assertEqual(os.listdir(os.path.join(self.bucket, ".ecompipe-tmp", "s3-uploads")), [])
        self.wait_for(lambda: self.object_created("uploads/big.bin"), what="the Object Created event")
        time.sleep(1.5)
        self.assertEqual(len(self.object_created("uploads/big.bin")), 1)
        self.assertEqual(self.object_created("uploads/big.bin")[0]["detail"]["object"]["size"], 100 << 20)
        # The pipeline knows the object by the ETag S3 clients see, the multipart one.
        self.assertEqual(self.object_created("uploads/big.bin")[0]["detail"]["object"]["etag"], head["ETag"].strip('"'))
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="uploads/")["Contents"]
        self.assertEqual([o["ETag"] for o in listed], [head["ETag"]])

    def test_multipart_csv_is_loaded_under_the_etag_clients_see(self):
        s3 = self.client()
        key = tx_key(26, "multipart.csv")
        path = os.path.join(self.dir, "multipart.csv")
        n = 1_600_000  # 107 MB: 13 parts of 8 MiB
        with open(path, "w") as f:
            f.write(rows_csv([f"TXN{i:08d},C12345,P12345,1,29.99,2026-11-26,Credit Card,Completed"
                              for i in range(n)]))
        self.assertGreater(os.path.getsize(path), 100 << 20)
        s3.upload_file(path, BUCKET, key)  # multipart: 8 MiB parts
        os.remove(path)
        etag = s3.head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')
        self.assertRegex(etag, r"^[0-9a-f]{32}-13$")
        self.wait_for(lambda: self.wh("SELECT status FROM load_ledger WHERE key=?", key) == [("loaded",)],
                      timeout=600, what="the load")
        self.assertEqual(self.wh("SELECT etag, rows_loaded FROM load_ledger WHERE key=?", key), [(etag, n)])
        self.assertEqual([e["detail"]["object"]["etag"] for e in self.object_created(key)], [etag])
        # `ecompipe runs` names it so too (its object row follows the ledger's commit).
        objects = self.wait_for(lambda: [o for r in self.cli_json("runs") for o in r["objects"] if o["key"] == key],
                                what="the run's object")
        self.assertEqual([o["etag"] for o in objects], [etag])
        self.assertEqual(s3.head_object(Bucket=BUCKET, Key=key)["ETag"], f'"{etag}"')

    def test_malformed_range_is_ignored_and_unsatisfiable_range_is_invalid_range(self):
        s3 = self.client()
        body = b"0123456789" * 30
        s3.put_object(Bucket=BUCKET, Key="misc/r.txt", Body=body)
        # S3 ignores a Range it cannot parse (RFC 9110) and answers the whole object with 200.
        for bad in ("bytes=abc", "bytes=5-1", "bytes=-", "items=0-5", "bytes=1-2,x", "bytes=--3"):
            got = s3.get_object(Bucket=BUCKET, Key="misc/r.txt", Range=bad)
            self.assertEqual(got["ResponseMetadata"]["HTTPStatusCode"], 200, bad)
            self.assertEqual(got["Body"].read(), body, bad)
            self.assertNotIn("ContentRange", got, bad)
            head = s3.head_object(Bucket=BUCKET, Key="misc/r.txt", Range=bad)
            self.assertEqual(head["ResponseMetadata"]["HTTPStatusCode"], 200, bad)
            self.assertEqual(head["ContentLength"], len(body), bad)
        # An unsatisfiable one is 416 with S3's XML error body.
        for unsatisfiable in ("bytes=300-", "bytes=1000-2000", "bytes=-0"):
            with self.assertRaises(ClientError) as ctx:
                s3.get_object(Bucket=BUCKET, Key="misc/r.txt", Range=unsatisfiable)
            self.assertEqual(error_code(ctx), "InvalidRange", unsatisfiable)
            self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 416)
        status, headers, text = self.raw_request("GET", f"/{BUCKET}/misc/r.txt", headers={"range": "bytes=999-"})
        self.assertEqual(status, 416)
        self.assertIn(b"<Code>InvalidRange</Code>", text)
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="misc/r.txt", Range="bytes=0-3")["Body"].read(), b"0123")

    def test_original_generator_upload_step_is_crawled_loaded_and_notified(self):
        # The original's upload step (boto3.client('s3').upload_file(...)), endpoint_url added.
        import boto3
        local_file = os.path.join(self.dir, "transaction_2026-11-26.csv")
        with open(local_file, "w") as f:
            f.write(rows_csv(VALID_ROWS))
        # Credentials come from the environment, as they did for the original.
        env = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
               "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.devnull,
               "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
        with unittest.mock.patch.dict(os.environ, env):
            s3 = boto3.client("s3", endpoint_url=self.endpoint)
            s3.upload_file(local_file, "raw-transactions", tx_key(26))

        self.wait_for(lambda: any(n["event"]["detail"]["state"] == "SUCCEEDED" for n in self.notifications()),
                      what="the job's SUCCEEDED notification")
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], len(VALID_ROWS))
        self.assertEqual(self.wh("SELECT DISTINCT source_object FROM fact_transactions")[0][0], tx_key(26))
        self.assertEqual(len(self.object_created(tx_key(26))), 1)
        self.assert_nothing_lost()
        crawled = self.state("SELECT count(*) FROM events WHERE detail_type='Glue Crawler State Change'")[0][0]
        self.assertGreaterEqual(crawled, 1)

    def test_listing_10000_keys_pages(self):
        # The keys land in the folder directly (fast); the listing is the endpoint's.
        root = os.path.join(self.bucket, "many")
        keys = []
        for d in range(10):
            os.makedirs(os.path.join(root, f"d{d}"), exist_ok=True)
            for i in range(1000):
                name = f"many/d{d}/k{i:05d}.txt"
                with open(os.path.join(self.bucket, name), "w") as f:
                    f.write("x")
                keys.append(name)
        keys.sort()
        s3 = self.client()
        pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="many/"))
        self.assertEqual(len(pages), 10)
        self.assertEqual([o["Key"] for p in pages for o in p["Contents"]], keys)
        self.assertTrue(all(p["IsTruncated"] for p in pages[:-1]))
        self.assertFalse(pages[-1]["IsTruncated"])
        small = list(s3.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix="many/", Delimiter="/", PaginationConfig={"PageSize": 3}))
        self.assertEqual([p["Prefix"] for pg in small for p in pg.get("CommonPrefixes", [])],
                         [f"many/d{d}/" for d in range(10)])
        self.assertEqual(len(small), 4)
        v1 = list(s3.get_paginator("list_objects").paginate(Bucket=BUCKET, Prefix="many/d3/",
                                                             PaginationConfig={"PageSize": 300}))
        self.assertEqual([o["Key"] for p in v1 for o in p["Contents"]], [k for k in keys if k.startswith("many/d3/")])

    def test_presigned_urls(self):
        # boto3 presigns with Signature Version 2 unless told otherwise; the endpoint speaks V4.
        s3 = self.client(signature_version="s3v4")
        put_url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "signed/p.txt"}, ExpiresIn=300)
        req = urllib.request.Request(put_url, data=b"presigned body", method="PUT")
        with urllib.request.urlopen(req, timeout=30) as r:
            self.assertEqual(r.status, 200)
        get_url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "signed/p.txt"}, ExpiresIn=300)
        with urllib.request.urlopen(get_url, timeout=30) as r:
            self.assertEqual(r.read(), b"presigned body")
        tampered = get_url.replace("signed/p.txt", "signed/q.txt")
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(tampered, timeout=30)
        self.assertEqual(ctx.exception.code, 403)
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", ctx.exception.read())
        short = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "signed/p.txt"}, ExpiresIn=1)
        time.sleep(2.2)
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(short, timeout=30)
        self.assertEqual(ctx.exception.code, 403)
        self.assertIn(b"Request has expired", ctx.exception.read())

    def test_wrong_credentials_get_403_with_s3_error_body(self):
        with self.assertRaises(ClientError) as ctx:
            self.client(secret="not-the-secret").put_object(Bucket=BUCKET, Key="x/denied.txt", Body=b"no")
        self.assertEqual(error_code(ctx), "SignatureDoesNotMatch")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertTrue(ctx.exception.response["ResponseMetadata"]["RequestId"])
        with self.assertRaises(ClientError) as ctx:
            self.client(key="AKIAUNKNOWN").list_objects_v2(Bucket=BUCKET)
        self.assertEqual(error_code(ctx), "InvalidAccessKeyId")
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "x", "denied.txt")))

        # Clock skew: a request signed 20 minutes ago.
        old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
        status, _, body = self.raw_request("GET", f"/{BUCKET}", query="list-type=2", when=old)
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>RequestTimeTooSkewed</Code>", body)
        self.assertIn(b"<RequestId>", body)
        status, _, body = self.raw_request("GET", f"/{BUCKET}", query="list-type=2")
        self.assertEqual(status, 200, body)
        # Anonymous requests are refused.
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(f"{self.endpoint}/{BUCKET}/x", timeout=30)
        self.assertEqual(ctx.exception.code, 403)
        self.assertIn(b"<Code>AccessDenied</Code>", ctx.exception.read())
        # A body that does not match its signed hash lands nothing.
        status, _, body = self.raw_request("PUT", f"/{BUCKET}/x/tampered.txt", body=b"actual",
                                           payload_hash=hashlib.sha256(b"claimed").hexdigest())
        self.assertEqual(status, 400)
        self.assertIn(b"XAmzContentSHA256Mismatch", body)
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "x", "tampered.txt")))
        log = self.serve_log()
        self.assertIn("code=SignatureDoesNotMatch", log)

    def test_aws_chunked_signed_upload(self):
        # STREAMING-AWS4-HMAC-SHA256-PAYLOAD, as the AWS SDKs send it over plain HTTP when asked
        # to sign the payload: every chunk's signature chains from the request's.
        chunks = [os.urandom(65536), os.urandom(65536), b"tail"]
        status, headers, body = self.raw_request("PUT", f"/{BUCKET}/chunked/ok.bin", chunks=chunks)
        self.assertEqual(status, 200, body)
        whole = b"".join(chunks)
        self.assertEqual(headers["ETag"], '"%s"' % hashlib.md5(whole).hexdigest())
        with open(os.path.join(self.bucket, "chunked", "ok.bin"), "rb") as f:
            self.assertEqual(f.read(), whole)
        # The wrong secret fails on the seed signature; nothing lands.
        status, _, body = self.raw_request("PUT", f"/{BUCKET}/chunked/bad.bin", chunks=chunks, secret="wrong")
        self.assertEqual(status, 403)
        self.assertIn(b"SignatureDoesNotMatch", body)
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "chunked", "bad.bin")))

    def test_multipart_abort_and_failures_leave_nothing(self):
        s3 = self.client()
        key = "uploads/aborted.bin"
        up = s3.create_multipart_upload(Bucket=BUCKET, Key=key)
        s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], PartNumber=1, Body=b"a" * (5 << 20))
        s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up["UploadId"])
        with self.assertRaises(ClientError) as ctx:
            s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], PartNumber=2, Body=b"b")
        self.assertEqual(error_code(ctx), "NoSuchUpload")

        up = s3.create_multipart_upload(Bucket=BUCKET, Key=key)
        p1 = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], PartNumber=1, Body=b"small")
        p2 = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], PartNumber=2, Body=b"tail")
        with self.assertRaises(ClientError) as ctx:  # every part but the last needs 5 MiB
            s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
        self.assertEqual(error_code(ctx), "EntityTooSmall")
        with self.assertRaises(ClientError) as ctx:
            s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], MultipartUpload={
                "Parts": [{"PartNumber": 2, "ETag": p2["ETag"]}, {"PartNumber": 1, "ETag": p1["ETag"]}]})
        self.assertEqual(error_code(ctx), "InvalidPartOrder")
        with self.assertRaises(ClientError) as ctx:
            s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": '"' + "0" * 32 + '"'}]})
        self.assertEqual(error_code(ctx), "InvalidPart")
        with self.assertRaises(ClientError) as ctx:
            s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], PartNumber=10001, Body=b"x")
        self.assertIn(error_code(ctx), ("InvalidArgument",))
        # A single small part completes fine (the last part may be small).
        done = s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}]})
        self.assertTrue(done["ETag"].endswith('-1"'))
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read(), b"small")
        self.assertEqual(os.listdir(os.path.join(self.bucket, ".ecompipe-tmp", "s3-uploads")), [])
        self.assertEqual([f for f in os.listdir(os.path.join(self.bucket, ".ecompipe-tmp")) if f.endswith(".tmp")], [])
        self.wait_for(lambda: self.object_created(key), what="the Object Created event")
        time.sleep(1.5)
        self.assertEqual(len(self.object_created(key)), 1)  # the aborted upload fired nothing

    def test_hostile_requests_get_s3_errors_and_the_server_keeps_serving(self):
        s3 = self.client()
        up = s3.create_multipart_upload(Bucket=BUCKET, Key="h/x.bin")
        status, _, body = self.raw_request("POST", f"/{BUCKET}/h/x.bin", query=f"uploadId={up['UploadId']}",
                                           body=b"<CompleteMultipartUpload><Part><PartNumber>1</Part>")
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>MalformedXML</Code>", body)
        status, _, body = self.raw_request("POST", f"/{BUCKET}", query="delete", body=b"<Delete><Object>")
        self.assertEqual(status, 400)
        self.assertIn(b"MalformedXML", body)
        for bad in ("../escape.txt", "h/../../escape.txt", "h//double.txt", ".ecompipe-tmp/x"):
            status, _, body = self.raw_request("PUT", f"/{BUCKET}/{bad}", body=b"evil")
            self.assertEqual(status, 400, bad)
            self.assertIn(b"<Code>InvalidArgument</Code>", body)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "escape.txt")))
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(self.dir), "escape.txt")))
        status, _, body = self.raw_request("PUT", f"/{BUCKET}/h/x.bin", query=f"partNumber=0&uploadId={up['UploadId']}", body=b"x")
        self.assertEqual(status, 400)
        status, _, body = self.raw_request("PUT", f"/{BUCKET}/h/x.bin", query="partNumber=1&uploadId=../../etc", body=b"x")
        self.assertEqual(status, 404)
        self.assertIn(b"NoSuchUpload", body)
        status, _, body = self.raw_request("GET", f"/{BUCKET}", query="list-type=2&continuation-token=zz")
        self.assertEqual(status, 400)
        status, _, _ = self.raw_request("GET", f"/{BUCKET}", query="acl")
        self.assertEqual(status, 501)
        # A header far beyond any sane size: refused by the HTTP layer.
        req = urllib.request.Request(f"{self.endpoint}/{BUCKET}", headers={"X-Big": "a" * 100000})
        with self.assertRaises(Exception):
            urllib.request.urlopen(req, timeout=30)
        # Still serving.
        s3.put_object(Bucket=BUCKET, Key="h/ok.txt", Body=b"fine")
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="h/ok.txt")["Body"].read(), b"fine")
        self.assertIsNone(self.serve.poll())


if __name__ == "__main__":
    unittest.main()


class VirtualHostAddressingTest(S3EndpointTest):
    """A second pipeline whose bucket is this endpoint's, reached with virtual-host addressing
    (Host: raw-transactions.localhost:<port>; libcurl resolves *.localhost to the loopback)."""

    def test_s3_storage_with_virtual_host_addressing_loads_from_the_endpoint(self):
        import shutil
        import sqlite3
        import subprocess
        from harness import BIN, DATA
        from s3_servers import CutProxy
        s3 = self.client()
        key = tx_key(26)
        put = s3.put_object(Bucket=BUCKET, Key=key, Body=rows_csv(VALID_ROWS).encode())
        proxy = CutProxy(self.port)  # only counts the request lines that pass
        self.addCleanup(proxy.stop)
        other = tempfile.mkdtemp(prefix="ecompipe-e2e-vhost-")
        self.addCleanup(shutil.rmtree, other, True)

        def cli(*args):
            r = subprocess.run([BIN, *args], cwd=other, capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, f"ecompipe {args}: {r.stdout}{r.stderr}")
            return r
        cli("init", other)
        cfg = os.path.join(other, "ecompipe.yaml")
        with open(cfg) as f:
            text = f.read()
        start = text.index("\nstorage:\n") + 1
        end = text.index("\n\n", start) + 1
        storage = (f"storage:\n  type: s3\n  bucket: {BUCKET}\n  endpoint: \"http://localhost:{proxy.port}\"\n"
                   f"  region: {REGION}\n  addressing: virtual\n  access_key_id: \"{ACCESS_KEY}\"\n"
                   f"  secret_access_key: \"{SECRET_KEY}\"\n")
        with open(cfg, "w") as f:
            f.write(text[:start] + storage + text[end:])
        cli("load-dims", "--products", os.path.join(DATA, "products.csv"),
            "--customers", os.path.join(DATA, "customers.csv"))
        cli("process")
        con = sqlite3.connect(os.path.join(other, "warehouse.db"))
        try:
            ledger = con.execute("SELECT key, etag, status, rows_loaded FROM load_ledger").fetchall()
        finally:
            con.close()
        self.assertEqual(ledger, [(key, put["ETag"].strip('"'), "loaded", len(VALID_ROWS))])
        # Virtual-host style: the bucket is in the Host header, never in the path.
        self.assertGreater(proxy.count("GET /transactions/"), 0)
        self.assertGreater(proxy.count("GET /?"), 0)  # ListObjectsV2 on the bucket's own host
        self.assertEqual(proxy.count(f"GET /{BUCKET}"), 0)
        self.assertEqual(proxy.count(f"HEAD /{BUCKET}"), 0)
