"""An S3 bucket on a real S3 API server (moto_server, signatures verified) as the pipeline's
bucket: S3 -> SQS event notifications configured the way AWS does, ListObjectsV2 reconciliation,
the MinIO/Ceph-style webhook, a connection cut mid-GET, and wrong credentials."""
import json
import os
import signal
import time
import urllib.error
import urllib.request
import urllib.parse

from harness import PipelineTest, VALID_ROWS, WorkersTest, rows_csv, tx_key
from notify_servers import free_port
from s3_servers import (BUCKET, CutProxy, MotoS3, require_tools, s3_key, s3_storage_yaml,
                        set_storage, wait_until)


def many_rows(n, start=1):
    """`n` valid transaction rows against the reference dimensions, distinct ids."""
    out = []
    for i in range(start, start + n):
        base = VALID_ROWS[i % len(VALID_ROWS)].split(",", 1)[1]
        out.append(f"TXN{i:08d},{base}")
    return out


class S3BucketTest(PipelineTest):
    moto_auth = True

    def setUp(self):
        super().setUp()
        require_tools(self)
        self.moto = MotoS3(auth=self.moto_auth)
        self.addCleanup(self.moto.stop)
        self.moto.start()
        self.s3 = self.moto.client("s3")
        self.s3.create_bucket(Bucket=BUCKET)
        os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"] = self.moto.key_id, self.moto.secret
        self.land_reference_dims()

    def configure(self, events_yaml="", endpoint=None, **kw):
        set_storage(self, s3_storage_yaml(endpoint or self.moto.endpoint, events_yaml, **kw))

    def upload(self, key, text):
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=text.encode())

    def loaded(self):
        return dict(self.wh("SELECT key, rows_loaded FROM load_ledger WHERE status='loaded'"))

    def wait_loaded(self, keys, timeout=90):
        wait_until(lambda: set(keys) <= set(self.loaded()), timeout, f"loads of {keys}")

    def serve_log(self, i=0):
        with open(os.path.join(self.dir, f"serve-{i}.log")) as f:
            return f.read()

    def succeeded_notifications(self):
        return [n for n in self.notifications() if "SUCCEEDED" in json.dumps(n)]

    def notify_to_queue(self, name="ecompipe-events"):
        """An SQS queue receiving the bucket's s3:ObjectCreated:* notifications, as on AWS."""
        self.sqs = self.moto.client("sqs")
        self.queue_url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]})
        return self.queue_url

    def queue_counts(self):
        """(visible, in flight) messages of the queue, as SQS reports them."""
        a = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])

    def sqs_yaml(self, visibility=None):
        extra = f", visibility_timeout_seconds: {visibility}" if visibility else ""
        return f"    - {{type: sqs, queue_url: \"{self.queue_url}\", wait_time_seconds: 1{extra}}}\n"

    def wait_polling(self, i=0):
        wait_until(lambda: "SQS event source polling" in self.serve_log(i), 30, "the SQS source")
        time.sleep(1)  # the start-up listing is done; what follows arrives through SQS only


class SqsNotificationsTest(S3BucketTest):
    def test_s3_to_sqs_notifications_load_each_object_exactly_once(self):
        sqs = self.moto.client("sqs")
        queue_url = sqs.create_queue(QueueName="ecompipe-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]})
        self.configure(f"    - {{type: sqs, queue_url: \"{queue_url}\", wait_time_seconds: 2}}\n")
        serve = self.start_serve()
        wait_until(lambda: "SQS event source polling" in self.serve_log(), 30, "the SQS source")
        time.sleep(1)  # the start-up listing is done; what follows arrives through SQS only

        # S3 encodes keys in notifications ('+' for a space). ('%2B' for '+' is unit-tested:
        # moto 5 with IAM auth refuses the signature of any key holding a '+'; s3_servers.py.)
        k1, k2 = s3_key(26), s3_key(27, "batch 1 extra.csv")
        self.upload(k1, rows_csv(VALID_ROWS[:2]))
        self.upload(k2, rows_csv(VALID_ROWS[2:]))
        self.wait_loaded([k1, k2])
        self.assertEqual(self.loaded(), {k1: 2, k2: 2})

        # The same content again: a new notification, the same ETag: deduplicated, not reloaded.
        self.upload(k1, rows_csv(VALID_ROWS[:2]))
        # Every message is deleted once its load committed (the duplicate's committed earlier):
        # the queue drains, nothing in flight.
        def drained():
            a = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            return a["ApproximateNumberOfMessages"] == "0" and a["ApproximateNumberOfMessagesNotVisible"] == "0"
        wait_until(drained, 60, "the queue to drain")
        time.sleep(2)
        self.assertEqual(self.stop(serve), 0)
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger"), [(2,)])
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions"), [(4,)])
        self.assertEqual(self.state("SELECT count(*) FROM seen_objects"), [(2,)])
        self.assertIn("Object landed. key=" + k2, self.serve_log())
        self.assertNotIn("not an S3 event notification", self.serve_log())
        self.assert_nothing_lost()
        self.assertGreaterEqual(len(self.succeeded_notifications()), 1)


class SqsDeleteAfterCommitTest(S3BucketTest):
    """A message is deleted only once its object's load has committed in the warehouse."""

    def test_message_stays_in_flight_while_the_warehouse_is_down_and_goes_after_commit(self):
        from test_postgres_warehouse import PrivateServer, psql as pg
        server = PrivateServer("/tmp/ep-sqs-pg-" + os.urandom(4).hex())
        self.addCleanup(server.remove)
        cfg = os.path.join(self.dir, "ecompipe.yaml")
        with open(cfg) as f:
            text = f.read()
        old = "warehouse:\n  type: sqlite\n  path: warehouse.db\n"
        self.assertIn(old, text)
        with open(cfg, "w") as f:
            f.write(text.replace(old, f"warehouse:\n  type: postgres\n  url: {server.url}\n")
                    + "\nretry: {max_attempts: 1000, base_delay_ms: 200, max_delay_ms: 1000}\n")
        self.land_reference_dims()
        self.notify_to_queue()
        self.configure(self.sqs_yaml(visibility=4))
        serve = self.start_serve()
        self.wait_polling()

        server.stop()  # the warehouse is unreachable: no load can commit
        key = s3_key(26)
        self.upload(key, rows_csv(VALID_ROWS))
        wait_until(lambda: self.state("SELECT key FROM seen_objects") == [(key,)], 60, "the event")
        wait_until(lambda: self.state("SELECT count(*) FROM runs WHERE state='FAILED'")[0][0] >= 1, 60,
                   "a run failing against the stopped warehouse")
        # Several visibility timeouts (4 s) later the message is still in flight, never visible:
        # ecompipe keeps it invisible while the load cannot commit.
        for _ in range(10):
            self.assertEqual(self.queue_counts(), (0, 1))
            time.sleep(1)
        server.start()
        wait_until(lambda: pg(server.url, "SELECT count(*) FROM load_ledger WHERE status='loaded'") == [("1",)],
                   120, "the load once the warehouse is back")
        wait_until(lambda: self.queue_counts() == (0, 0), 30, "the message's deletion after the commit")
        self.assertEqual(self.stop(serve), 0)
        # Renewed in time all along: SQS never handed it out a second time.
        self.assertNotIn("delivered again while held", self.serve_log())
        self.assertEqual(pg(server.url, "SELECT count(*) FROM fact_transactions"), [(str(len(VALID_ROWS)),)])
        self.assertIn("SQS event source polling", self.serve_log())

    def test_serve_killed_before_the_load_commits_loads_once_after_restart_and_drains(self):
        self.notify_to_queue()
        self.configure(self.sqs_yaml(visibility=3))
        n = 100_000  # 13 batches of 8192 facts
        key = s3_key(26, "killed.csv")
        # Each batch of facts waits, so the kill certainly lands inside the load.
        serve = self.start_serve(env={"ECOMPIPE_TEST_BATCH_DELAY_MS": "1000"})
        self.wait_polling()
        self.upload(key, rows_csv(many_rows(n)))
        wait_until(lambda: self.state("SELECT count(*) FROM runs WHERE state='RUNNING'")[0][0] > 0, 60,
                   "the load to start")
        self.assertEqual(self.state("SELECT key FROM seen_objects"), [(key,)])  # the event is logged
        self.assertEqual(self.queue_counts(), (0, 1))                           # the message is held
        serve.send_signal(signal.SIGKILL)
        serve.wait()
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger"), [(0,)])
        # The message is not deleted: SQS delivers it again when its visibility timeout ends.

        serve = self.start_serve()
        self.wait_loaded([key], timeout=120)
        wait_until(lambda: self.queue_counts() == (0, 0), 60, "the queue to drain")
        time.sleep(2)
        self.assertEqual(self.stop(serve), 0)
        self.assertEqual(self.loaded(), {key: n})
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger"), [(1,)])
        self.assertEqual(self.wh("SELECT count(*), count(DISTINCT transaction_id) FROM fact_transactions"), [(n, n)])
        self.assert_nothing_lost()

    def test_file_of_rejected_rows_commits_and_a_failed_crawl_leaves_the_message(self):
        self.notify_to_queue()
        self.configure(self.sqs_yaml(visibility=2))
        serve = self.start_serve()
        self.wait_polling()
        rejected = s3_key(26, "all-rejected.csv")
        self.upload(rejected, rows_csv([r.replace(",C1234", ",X9999") for r in VALID_ROWS]))
        self.wait_loaded([rejected])
        wait_until(lambda: self.queue_counts() == (0, 0), 30, "the queue to drain")
        self.assertEqual(self.loaded(), {rejected: 0})
        # A file the crawler cannot read never loads: its message is let go each time, not
        # deleted, and comes back after its visibility timeout (a redrive policy ends that).
        broken = s3_key(27, "broken.csv")
        self.s3.put_object(Bucket=BUCKET, Key=broken, Body=b"")
        wait_until(lambda: "SQS message left in the queue" in self.serve_log(), 60, "the message let go")
        wait_until(lambda: self.queue_counts()[0] + self.queue_counts()[1] == 1, 10, "the message kept")
        self.assertEqual(self.stop(serve), 0)
        self.assertNotIn(broken, self.loaded())


class SqsWorkersTest(S3BucketTest, WorkersTest):
    """Two workers on a PostgreSQL state store and warehouse, both receiving from the queue:
    whichever loads an object, the message is deleted, and each object loads once."""

    def test_two_workers_drain_the_queue_and_load_each_object_once(self):
        self.notify_to_queue()
        self.configure(self.sqs_yaml(visibility=5))
        a = self.start_worker()
        b = self.start_worker()
        self.wait_polling(0)
        self.wait_polling(1)
        keys = [s3_key(10 + i) for i in range(8)]
        for i, k in enumerate(keys):
            self.upload(k, rows_csv(many_rows(50, start=1000 * i + 1)))
        self.wait_loaded(keys, timeout=120)
        wait_until(lambda: self.queue_counts() == (0, 0), 60, "the queue to drain")
        self.assertEqual(self.stop(a), 0)
        self.assertEqual(self.stop(b), 0)
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger"), [(8,)])
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions"), [(8 * 50,)])
        self.assertEqual(self.queue_counts(), (0, 0))


class ReconcileTest(S3BucketTest):
    def test_listing_picks_up_files_uploaded_while_down_and_lost_events(self):
        # page_size 2: a pass walks the bucket in pages with StartAfter.
        self.configure("    - {type: reconcile, interval_seconds: 1, page_size: 2}\n")
        first = [s3_key(20 + d) for d in range(3)]
        for i, k in enumerate(first):
            self.upload(k, rows_csv(many_rows(3, start=100 * i + 1)))
        serve = self.start_serve()
        self.wait_loaded(first)
        self.assertEqual(self.stop(serve), 0)

        while_down = [s3_key(24), s3_key(25)]
        for i, k in enumerate(while_down):
            self.upload(k, rows_csv(many_rows(2, start=1000 + 100 * i)))
        serve = self.start_serve()
        self.wait_loaded(while_down)
        # No event source at all: the periodic listing finds an upload that nobody announced.
        unannounced = s3_key(26, "late.csv")
        self.upload(unannounced, rows_csv(many_rows(4, start=5000)))
        self.wait_loaded([unannounced], timeout=60)
        self.assertEqual(self.stop(serve), 0)
        self.assertEqual(len(self.loaded()), 6)
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions"), [(3 * 3 + 2 * 2 + 4,)])
        self.assert_nothing_lost()

class PartitionedKeysTest(S3BucketTest):
    moto_auth = False  # keys hold '=' (see s3_servers.py)

    def test_process_lists_and_loads_a_bucket_with_generated_files(self):
        self.configure()
        r = self.run_cli("generate", "--to-bucket", "--days", "2", "--rows", "300", "--seed", "7",
                         "--date", "2026-11-20", "--invalid-rate", "0")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
        self.assertTrue(any(k.startswith("transactions/") for k in keys), keys)
        self.process(expect_rc=0)
        self.assertTrue(any(k.startswith("transactions/") for k in self.loaded()))
        self.assert_nothing_lost()


class WebhookTest(S3BucketTest):
    def post(self, port, body, token):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/minio/events", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def minio_event(self, key, size, etag):
        # What MinIO's webhook target posts (url.QueryEscape'd key).
        return json.dumps({"EventName": "s3:ObjectCreated:Put", "Key": f"{BUCKET}/{key}", "Records": [{
            "eventVersion": "2.0", "eventSource": "minio:s3", "awsRegion": "", "eventTime": "2026-11-26T10:00:00.000Z",
            "eventName": "s3:ObjectCreated:Put", "userIdentity": {"principalId": "minio"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "Config",
                   "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                   "object": {"key": urllib.parse.quote_plus(key), "size": size, "eTag": etag,
                              "contentType": "text/csv", "sequencer": "17F5C3D2B1A0E9F8"}}}]}).encode()

    def test_minio_style_webhook_with_shared_secret(self):
        port = free_port()
        self.configure(f"    - {{type: webhook, listen: \"127.0.0.1:{port}\", path: /minio/events, "
                       f"token_env: EP_TEST_S3_TOKEN}}\n")
        serve = self.start_serve(env={"EP_TEST_S3_TOKEN": "s3cr3t-token"})
        # "Serving." follows the start-up listing of the bucket: an object uploaded before it would
        # be found by that listing, not by the webhook this test is about (seen on a busy machine).
        wait_until(lambda: "S3 webhook source listening" in self.serve_log() and
                   "Serving." in self.serve_log(), 30, "the webhook source and the start-up listing")
        key = s3_key(26, "from minio 1.csv")
        body = rows_csv(VALID_ROWS)
        self.upload(key, body)
        etag = self.s3.head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')
        event = self.minio_event(key, len(body), etag)

        self.assertEqual(self.post(port, event, None)[0], 401)
        self.assertEqual(self.post(port, event, "wrong-token")[0], 401)
        self.assertEqual(self.post(port, b"{not json", "s3cr3t-token")[0], 400)
        time.sleep(1)
        self.assertEqual(self.loaded(), {})  # refused requests recorded nothing
        status, text = self.post(port, event, "s3cr3t-token")
        self.assertEqual(status, 200, text)  # answered once the Object Created event is durable
        self.assertEqual(self.state("SELECT key FROM seen_objects"), [(key,)])
        self.wait_loaded([key])
        self.assertEqual(self.post(port, event, "s3cr3t-token")[0], 200)  # a resend: deduplicated
        time.sleep(2)
        self.assertEqual(self.stop(serve), 0)
        self.assertEqual(self.loaded(), {key: 4})
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger"), [(1,)])
        self.assert_nothing_lost()


class FailureTest(S3BucketTest):
    def test_connection_cut_mid_get_is_resumed_and_loaded_once(self):
        proxy = CutProxy(self.moto.port, cut_prefix="transactions/", cut_after_bytes=40000)
        self.addCleanup(proxy.stop)
        self.configure(endpoint=proxy.endpoint)
        key = s3_key(26, "big.csv")
        body = rows_csv(many_rows(3000))
        self.assertGreater(len(body), 150000)
        self.upload(key, body)
        r = self.process(expect_rc=0)
        self.assertEqual(proxy.cuts, 1)
        self.assertIn("Object read interrupted; resuming", r.stdout + r.stderr)
        self.assertEqual(self.loaded(), {key: 3000})
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions"), [(3000,)])
        self.assertEqual(self.wh("SELECT count(*) FROM load_ledger"), [(1,)])
        self.assert_nothing_lost()

    def test_wrong_credentials_give_one_clear_error_and_no_retry_storm(self):
        proxy = CutProxy(self.moto.port)
        self.addCleanup(proxy.stop)
        self.configure(endpoint=proxy.endpoint, key_id=self.moto.key_id, secret="not-the-secret")
        self.upload(s3_key(26), rows_csv(VALID_ROWS))
        started = time.time()
        r = self.process()
        self.assertNotEqual(r.returncode, 0)
        out = r.stdout + r.stderr
        self.assertIn(f"bucket '{BUCKET}' at {proxy.endpoint}", out)
        self.assertIn("403", out)
        self.assertIn("SignatureDoesNotMatch", out)
        self.assertIn("access_key_id", out)  # says what to fix
        self.assertLess(time.time() - started, 30)
        self.assertEqual(proxy.count("GET "), 1)  # one ListObjectsV2, not retried
        self.assertEqual(self.loaded(), {})

        # serve stops at start-up with the same message instead of polling a bucket it cannot read.
        serve = self.start_serve()
        self.assertNotEqual(serve.wait(timeout=60), 0)
        self.assertIn("SignatureDoesNotMatch", self.serve_log())
        self.assertEqual(proxy.count("GET "), 2)
