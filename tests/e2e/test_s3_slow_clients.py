"""Slow and idle clients against the S3 endpoint of `ecompipe serve` (issue 14, point 3).

Before the fix, cpp-httplib gave each connection one of 32 worker threads for as long as the
client kept it open, read a request head with a timeout per read (a line every 2 s never timed
out) and listened with a backlog of 5: 40 slow clients made the endpoint unavailable, and a PUT
without Content-Length was read until the client hung up. These tests hold a crowd of 500 slow
and 1,000 idle connections while boto3 uploads, and check each limit on its own.

The time bounds below are liveness checks (an answer comes at all, long before a stuck server
would give one), not speed claims."""
import errno
import hashlib
import os
import resource
import selectors
import socket
import threading
import time
import unittest

from botocore.exceptions import ClientError

from harness import VALID_ROWS, rows_csv, tx_key
from s3_endpoint_util import BUCKET, S3EndpointTest

SLOW = 500
IDLE = 1000
PER_SOURCE = 50  # connections per source address, under the default cap of 128 per address


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        raise unittest.SkipTest(f"needs {need} open files, the hard limit is {hard}")


class Crowd:
    """Holds `slow` connections that send one header line a second (never ending their head)
    and `idle` connections that send nothing, from source addresses 127.0.0.10 and up
    (`per_source` each), in one thread with selectors. A connection the server closes is
    opened again, so the crowd keeps its size for as long as it runs."""

    def __init__(self, port, slow, idle, per_source, line_every=1.0):
        self.port, self.line_every = port, line_every
        self.kinds = ["slow"] * slow + ["idle"] * idle
        self.per_source = per_source
        self.sel = selectors.DefaultSelector()
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.connected = 0          # open and established
        self.closed_by_server = 0
        self.answers = {}           # first status line of each answer the server sent -> count
        self.connect_failures = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def source(self, i):
        return f"127.0.0.{10 + i // self.per_source}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_flag.set()
        self.thread.join(timeout=30)

    def _open(self, i):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((self.source(i), 0))
        err = s.connect_ex(("127.0.0.1", self.port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            with self.lock:
                self.connect_failures += 1
            return None
        state = {"i": i, "sock": s, "up": False, "lines": 0, "next": time.monotonic(), "got": b""}
        self.sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, state)
        return state

    def _close(self, state, by_server):
        self.sel.unregister(state["sock"])
        state["sock"].close()
        with self.lock:
            if state["up"]:
                self.connected -= 1
            if by_server:
                self.closed_by_server += 1
                line = state["got"].split(b"\r\n", 1)[0].decode(errors="replace")
                if line:
                    self.answers[line] = self.answers.get(line, 0) + 1

    def _run(self):
        states = [self._open(i) for i in range(len(self.kinds))]
        while not self.stop_flag.is_set():
            for key, mask in self.sel.select(timeout=0.1):
                st = key.data
                s = st["sock"]
                if mask & selectors.EVENT_WRITE and not st["up"]:
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        self._close(st, by_server=False)
                        states[st["i"]] = None
                        with self.lock:
                            self.connect_failures += 1
                        continue
                    st["up"] = True
                    with self.lock:
                        self.connected += 1
                    self.sel.modify(s, selectors.EVENT_READ, st)
                if mask & selectors.EVENT_READ:
                    try:
                        data = s.recv(65536)
                    except OSError:
                        data = b""
                    st["got"] += data
                    if not data:
                        self._close(st, by_server=True)
                        states[st["i"]] = None
            now = time.monotonic()
            for i, st in enumerate(states):
                if st is None:
                    if not self.stop_flag.is_set():
                        states[i] = self._open(i)
                    continue
                if self.kinds[i] == "slow" and st["up"] and now >= st["next"]:
                    line = (b"PUT /raw-transactions/slow/%d HTTP/1.1\r\n" % i if st["lines"] == 0
                            else b"X-Slow-%d: %d\r\n" % (st["lines"], i))
                    try:
                        st["sock"].send(line)
                    except OSError:
                        pass  # the server closed it; the read side reports that
                    st["lines"] += 1
                    st["next"] = now + self.line_every
        for st in states:
            if st is not None:
                self.sel.unregister(st["sock"])
                st["sock"].close()


def read_until_closed(s):
    got = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            return got
        got += chunk


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class SlowClientsCrowdTest(S3EndpointTest):
    """The endpoint's default limits, 500 slow and 1,000 idle connections."""

    def test_upload_succeeds_while_500_slow_and_1000_idle_clients_are_held(self):
        raise_fd_limit(SLOW + IDLE + 512)
        crowd = Crowd(self.port, SLOW, IDLE, PER_SOURCE).start()
        self.addCleanup(crowd.stop)
        self.wait_for(lambda: crowd.connected >= SLOW + IDLE, timeout=60, what="the crowd to connect")
        time.sleep(3)  # the slow ones are a few lines into their heads
        # The server holds the crowd: its descriptors, not the listen backlog.
        fds_held = open_fds(self.serve.pid)

        local = os.path.join(self.dir, "transaction_2026-11-26.csv")
        with open(local, "w") as f:
            f.write(rows_csv(VALID_ROWS))
        with open(local, "rb") as f:
            body = f.read()
        s3 = self.client(connect_timeout=20, read_timeout=20)
        started = time.monotonic()
        s3.upload_file(local, BUCKET, tx_key(26))
        got = s3.get_object(Bucket=BUCKET, Key=tx_key(26))["Body"].read()
        took = time.monotonic() - started
        held = crowd.connected
        self.assertEqual(got, body)
        self.assertLess(took, 20, "the upload and GET did not get through the crowd in time")
        # The crowd was there during the upload (each reconnects when cut), accepted by serve.
        self.assertGreater(held, (SLOW + IDLE) // 2)
        self.assertGreater(fds_held, SLOW + IDLE)

        self.wait_for(lambda: self.wh("SELECT status FROM load_ledger WHERE key=?", tx_key(26)) == [("loaded",)],
                      timeout=120, what="the load")
        self.assertEqual(self.wh("SELECT count(*) FROM fact_transactions")[0][0], len(VALID_ROWS))

        # The slow heads were cut at the header deadline (10 s by default) with S3's answer.
        self.wait_for(lambda: crowd.answers.get("HTTP/1.1 400 Bad Request", 0) >= SLOW // 2, timeout=60,
                      what="slow heads to be cut")
        self.assertEqual(crowd.connect_failures, 0)
        self.assertIn("S3 endpoint listening.", self.serve_log())


class HeadDeadlineTest(S3EndpointTest):
    endpoint_config = "  header_timeout: 2s\n"

    def test_head_sent_a_line_at_a_time_is_cut_at_the_total_deadline(self):
        # Each line well within any per-read timeout; the head as a whole is not.
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.settimeout(0.5)
            s.sendall(b"PUT /raw-transactions/slow.txt HTTP/1.1\r\n")
            got, started = b"", time.monotonic()
            for i in range(60):
                try:
                    s.sendall(b"X-Line-%d: y\r\n" % i)
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
                except socket.timeout:
                    continue
                except OSError:
                    break
            self.assertLess(time.monotonic() - started, 25)
        self.assertIn(b"400 Bad Request", got)
        self.assertIn(b"<Code>RequestTimeout</Code>", got)

    def test_idle_connection_is_closed(self):
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.settimeout(20)
            self.assertEqual(s.recv(4096), b"")  # closed, no answer


class PerAddressCapTest(S3EndpointTest):
    endpoint_config = "  max_connections_per_address: 5\n"

    def test_connections_over_the_cap_get_slow_down_and_other_addresses_are_served(self):
        held = []
        for _ in range(5):
            s = socket.socket()
            s.bind(("127.0.0.50", 0))
            s.connect(("127.0.0.1", self.port))
            held.append(s)
        self.addCleanup(lambda: [s.close() for s in held])
        time.sleep(0.5)
        extra = socket.socket()
        extra.bind(("127.0.0.50", 0))
        extra.settimeout(20)
        extra.connect(("127.0.0.1", self.port))
        answer = read_until_closed(extra)
        extra.close()
        self.assertIn(b"HTTP/1.1 503", answer)
        self.assertIn(b"<Code>SlowDown</Code>", answer)
        self.wait_for(lambda: "503 SlowDown" in self.serve_log(), timeout=10, what="the refusal's log line")
        # boto3 from 127.0.0.1 is not affected.
        s3 = self.client(connect_timeout=20, read_timeout=20)
        s3.put_object(Bucket=BUCKET, Key="misc/capped.txt", Body=b"fine")
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="misc/capped.txt")["Body"].read(), b"fine")


class BodyAndLengthTest(S3EndpointTest):
    endpoint_config = "  body_timeout: 2s\n"

    def test_stalled_body_fails_the_upload_and_nothing_lands(self):
        hdrs, *_ = self.sign("PUT", f"/{BUCKET}/misc/stalled.txt", "", {"content-length": "1000"},
                             "UNSIGNED-PAYLOAD")
        head = (f"PUT /{BUCKET}/misc/stalled.txt HTTP/1.1\r\n" +
                "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n").encode()
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(head + b"x" * 10)  # then nothing
            s.settimeout(25)
            got = read_until_closed(s)
        self.assertIn(b"<Code>IncompleteBody</Code>", got)
        s3 = self.client()
        with self.assertRaises(ClientError):
            s3.head_object(Bucket=BUCKET, Key="misc/stalled.txt")
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "misc", "stalled.txt")))
        staged = [f for _, _, files in os.walk(os.path.join(self.bucket, ".ecompipe-tmp")) for f in files
                  if "stalled" in f or f.endswith(".tmp")]
        self.assertEqual(staged, [])

    def test_put_without_content_length_is_answered_at_once_with_411(self):
        hdrs, *_ = self.sign("PUT", f"/{BUCKET}/misc/nolength.txt", "", {}, "UNSIGNED-PAYLOAD")
        head = (f"PUT /{BUCKET}/misc/nolength.txt HTTP/1.1\r\n" +
                "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n").encode()
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(head + b"some bytes")  # and the connection stays open: no end of body
            s.settimeout(20)
            got = read_until_closed(s)  # the server answers and closes its side
        self.assertIn(b"HTTP/1.1 411", got)
        self.assertIn(b"<Code>MissingContentLength</Code>", got)
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "misc", "nolength.txt")))

    def test_delete_without_content_length_has_no_body(self):
        s3 = self.client()
        s3.put_object(Bucket=BUCKET, Key="misc/gone.txt", Body=b"x")
        hdrs, *_ = self.sign("DELETE", f"/{BUCKET}/misc/gone.txt", "", {},
                             hashlib.sha256(b"").hexdigest())
        head = (f"DELETE /{BUCKET}/misc/gone.txt HTTP/1.1\r\n" +
                "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n").encode()
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(head)  # no Content-Length, connection kept open
            s.settimeout(20)
            got = s.recv(4096)
        self.assertIn(b"HTTP/1.1 204", got)
        self.assertFalse(os.path.exists(os.path.join(self.bucket, "misc", "gone.txt")))


if __name__ == "__main__":
    unittest.main()
