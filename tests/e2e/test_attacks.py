"""The independent probe's attacks of issue 14, replayed against one running `ecompipe serve`
(S3 endpoint on) so that the next hole is found by CI, not by a user. Each attack is scaled down
to run in seconds; the thorough tests of each fix are beside it (test_symlinks, test_query,
test_s3_slow_clients, test_s3_endpoint), this file is the whole attack in one place:

  1. symlink escapes: GET, LIST and PUT through links in the bucket folder, and the rescan;
  2. `ecompipe query` writes, refused;
  3. slow and idle clients held while a boto3 upload succeeds (40 slow, 200 idle: the probe's
     first numbers, which took the endpoint down for 88 s);
  and what held then and must keep holding: traversal keys, huge headers and URLs, hostile XML
  (billion laughs, external entities) in both request bodies, a gzip bomb landed in the bucket,
  SigV4 refusals (no signature, wrong secret, skewed clock, V2).
Points 4 to 7 (bounded rejects and decompression, secrets in URLs, full disk, the smaller holes)
are tested with their fixes."""
import datetime
import gzip
import os
import socket
import subprocess
import time
import unittest

from botocore.exceptions import ClientError

from harness import BIN, VALID_ROWS, rows_csv, tx_key
from s3_endpoint_util import BUCKET, S3EndpointTest
import test_query
from test_s3_slow_clients import Crowd, raise_fd_limit
from test_symlinks import SECRET, link, make_outside

BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b"]>\n")
XXE = b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'


class AttacksTest(S3EndpointTest):
    def setUp(self):
        super().setUp()
        self.s3 = self.client()

    def assert_status(self, ctx, status):
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], status,
                         ctx.exception.response.get("Error"))

    def assert_still_serving(self):
        self.s3.put_object(Bucket=BUCKET, Key="attack/alive.txt", Body=b"alive")
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="attack/alive.txt")["Body"].read(), b"alive")
        self.assertIsNone(self.serve.poll())

    def test_1_symlinks_never_lead_out_of_the_bucket(self):
        outside = make_outside(self)
        link(os.path.join(outside, "passwd"), self.bucket, "attack/passwd")
        link(outside, self.bucket, "etc")
        for key in ("attack/passwd", "etc/passwd"):
            with self.assertRaises(ClientError) as ctx:
                self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            self.assert_status(ctx, 403)
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        self.assertFalse([k for k in keys if k.startswith("etc/") or k == "attack/passwd"], keys)
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_object(Bucket=BUCKET, Key="etc/created-through-a-link", Body=b"x")
        self.assert_status(ctx, 403)
        self.assertEqual(sorted(os.listdir(outside)), ["passwd", "rows.csv"])
        # The rescan at the next start: a linked CSV outside the bucket is not loaded as facts.
        link(os.path.join(outside, "rows.csv"), self.bucket, tx_key(25))
        self.assertEqual(self.stop(self.serve), 0)
        r = self.process(expect_rc=0)
        self.assertIn(f"Skipped a symbolic link. key={tx_key(25)}", r.stdout + r.stderr)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], 0)
        with open(os.path.join(outside, "passwd")) as f:
            self.assertEqual(f.read(), SECRET)

    def test_2_query_is_read_only(self):
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.wait_for(lambda: self.wh("SELECT count(*) FROM load_ledger")[0][0] == 1, what="the load")
        scratch = os.path.join(self.dir, "scratch")
        os.mkdir(scratch)
        for sql in test_query.SqliteQueryTest.HOSTILE:
            sql = sql.replace("{dir}", scratch)
            r = subprocess.run([BIN, "query", sql], cwd=self.dir, capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 1, f"{sql}\n{r.stdout}{r.stderr}")
        self.assertEqual(os.listdir(scratch), [])
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger")[0][0], 1)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], len(VALID_ROWS))

    def test_3_upload_succeeds_while_slow_and_idle_clients_are_held(self):
        slow, idle = 40, 200
        raise_fd_limit(slow + idle + 256)
        crowd = Crowd(self.port, slow, idle, per_source=40).start()
        self.addCleanup(crowd.stop)
        self.wait_for(lambda: crowd.connected >= slow + idle, timeout=30, what="the crowd to connect")
        time.sleep(2)
        s3 = self.client(connect_timeout=20, read_timeout=20)
        s3.put_object(Bucket=BUCKET, Key=tx_key(26), Body=rows_csv(VALID_ROWS).encode())
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key=tx_key(26))["Body"].read(),
                         rows_csv(VALID_ROWS).encode())
        self.assertGreater(crowd.connected, (slow + idle) // 2)
        self.assertEqual(crowd.connect_failures, 0)

    def test_traversal_keys_huge_headers_and_urls_are_refused(self):
        for bad in ("../escape.txt", "a/../../escape.txt", "a/./b.txt", "a//b.txt", "/abs.txt",
                    ".ecompipe-tmp/x"):
            status, _, body = self.raw_request("PUT", f"/{BUCKET}/{bad}", body=b"evil")
            self.assertIn(status, (400, 403), f"{bad}: {status} {body!r}")
        for escaped in ("escape.txt", os.path.join("..", "escape.txt")):
            self.assertFalse(os.path.exists(os.path.join(self.dir, escaped)))
        # A raw request whose path climbs out, sent as is (no client normalises it).
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            s.sendall(b"GET /" + BUCKET.encode() + b"/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n"
                      b"Connection: close\r\n\r\n")
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        self.assertNotIn(b"root:x:0:0", answer)
        self.assertRegex(answer.split(b"\r\n", 1)[0], rb" (400|403|404) ")
        for headers, path in (({"X-Big": "a" * 100_000}, f"/{BUCKET}"),
                              ({f"X-H{i}": "v" * 100 for i in range(2000)}, f"/{BUCKET}"),
                              ({}, f"/{BUCKET}/" + "k" * 100_000)):
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
                head = f"GET {path} HTTP/1.1\r\nHost: x\r\n" + "".join(
                    f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"
                try:
                    s.sendall(head.encode())
                    status_line = s.recv(65536).split(b"\r\n", 1)[0]
                except ConnectionError:
                    status_line = b""  # closed before reading it all: refused too
            self.assertNotRegex(status_line, rb" 2\d\d ")
        self.assert_still_serving()

    def test_hostile_xml_is_refused_never_expanded(self):
        up = self.s3.create_multipart_upload(Bucket=BUCKET, Key="attack/mp.bin")
        complete = b'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&lol9;</ETag></Part></CompleteMultipartUpload>'
        delete = b"<Delete><Object><Key>&x;</Key></Object></Delete>"
        for query, body in ((f"uploadId={up['UploadId']}", BILLION_LAUGHS + complete),
                            ("delete", BILLION_LAUGHS + delete.replace(b"&x;", b"&lol9;")),
                            (f"uploadId={up['UploadId']}", XXE + complete.replace(b"&lol9;", b"&x;")),
                            ("delete", XXE + delete)):
            path = f"/{BUCKET}/attack/mp.bin" if query.startswith("uploadId") else f"/{BUCKET}"
            status, _, answer = self.raw_request("POST", path, query=query, body=body)
            self.assertEqual(status, 400, answer)
            self.assertIn(b"MalformedXML", answer)
            self.assertNotIn(b"root:x:0:0", answer)
            self.assertNotIn(b"lollollol", answer)
        self.assert_still_serving()

    def test_sigv4_refusals(self):
        with self.assertRaises(ClientError) as ctx:
            self.client(secret="wrong").put_object(Bucket=BUCKET, Key="attack/x", Body=b"x")
        self.assert_status(ctx, 403)
        skewed = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
        status, _, body = self.raw_request("PUT", f"/{BUCKET}/attack/x", body=b"x", when=skewed)
        self.assertEqual(status, 403)
        self.assertIn(b"RequestTimeTooSkewed", body)
        for auth in (None, "AWS AKIAECOMPIPETEST0001:frJIUN8DYpKDtOLCwo//yllqDzg="):
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
                s.sendall(f"PUT /{BUCKET}/attack/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n".encode()
                          + (f"Authorization: {auth}\r\n".encode() if auth else b"")
                          + b"Connection: close\r\n\r\nx")
                self.assertRegex(s.recv(65536).split(b"\r\n", 1)[0], rb" (400|403) ")
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "attack", "x")))

    def test_gzip_bomb_fails_its_crawl_and_the_pipeline_goes_on(self):
        # 256 MiB of zeros in 256 KiB: the crawler's sample is bounded, the bytes are binary.
        bomb = gzip.compress(b"\0" * (256 << 20), compresslevel=9)
        self.s3.put_object(Bucket=BUCKET, Key=tx_key(24, "bomb.csv.gz"), Body=bomb)
        self.s3.put_object(Bucket=BUCKET, Key=tx_key(26), Body=rows_csv(VALID_ROWS).encode())
        self.wait_for(lambda: self.wh("SELECT count(*) FROM load_ledger WHERE key=?", tx_key(26))[0][0] == 1,
                      timeout=120, what="the good file to load")
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger WHERE key=?", tx_key(24, "bomb.csv.gz"))[0][0], 0)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], len(VALID_ROWS))
        with open(f"/proc/{self.serve.pid}/status") as f:
            rss_kb = int(next(line for line in f if line.startswith("VmHWM")).split()[1])
        self.assertLess(rss_kb, 512 * 1024, "serve's peak memory grew with the bomb")
        self.assert_still_serving()


if __name__ == "__main__":
    unittest.main()
