"""A real S3 API server for the s3 bucket tests: moto_server (moto 5) with IAM authentication on,
so every SigV4 signature ecompipe sends is verified; and a TCP proxy that can cut a GET mid-body
and counts requests.

moto 5.2 with IAM authentication rejects the (correct) signature of any object key holding '=',
'+', '(' and the like (boto3's own requests included): it checks the decoded path. Tests with signatures
verified therefore use keys without them (s3_key()); the original's partition layout
("year=2026/…") is covered with authentication off (MotoS3(auth=False)).

These tests never skip: when boto3 or moto is missing they fail, naming what to install, so a CI
image without them cannot pass silently (test_notify_sns.py skips instead).
"""
import json
import os
import socket
import subprocess
import tempfile
import threading
import time

from notify_servers import find_python_with, free_port, wait_port

REGION = "us-east-1"
BUCKET = "raw-transactions"  # the bucket the default rules expect
SETUP_REQUESTS = 3  # unauthenticated requests moto allows; MotoS3.create_user() makes exactly these

try:
    import boto3
    import botocore.config
except ImportError:  # reported by require_tools()
    boto3 = None


def s3_key(day, name=None):
    """A key of the transactions table without '=' (see the module comment)."""
    return "transactions/" + (name or f"transaction_2026-11-{day:02d}.csv")


def require_tools(test):
    if boto3 is None:
        test.fail("boto3 is missing from the Python running the tests (pip install boto3); "
                  "the S3 tests need it and do not skip")
    if not find_python_with("moto", "EP_MOTO_PYTHON"):
        test.fail("moto (moto_server) is missing: pip install 'moto[server]' or set EP_MOTO_PYTHON to "
                  "a Python that has it; the S3 tests need a real S3 API server and do not skip")


class MotoS3:
    """moto_server on 127.0.0.1 with IAM auth: set-up requests are free, later ones need a
    valid signature by the IAM user's key."""

    def __init__(self, auth=True):
        self.auth = auth
        self.python = find_python_with("moto", "EP_MOTO_PYTHON")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.key_id = self.secret = None

    def start(self):
        env = {**os.environ, "AWS_DEFAULT_REGION": REGION}
        if self.auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(SETUP_REQUESTS)
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([self.python, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                                      str(self.port)], stdout=self.log, stderr=subprocess.STDOUT, env=env)
        if not wait_port(self.port, 60):
            raise RuntimeError("moto_server did not start")
        iam = self.client("iam", "AKIDSETUP", "setup")
        iam.create_user(UserName="ecompipe")
        iam.put_user_policy(UserName="ecompipe", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="ecompipe")["AccessKey"]
        self.key_id, self.secret = key["AccessKeyId"], key["SecretAccessKey"]

    def client(self, service, key_id=None, secret=None, endpoint=None):
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint or self.endpoint,
                            aws_access_key_id=key_id or self.key_id,
                            aws_secret_access_key=secret or self.secret,
                            config=botocore.config.Config(retries={"max_attempts": 2},
                                                            request_checksum_calculation="when_required",
                                                            response_checksum_validation="when_required"))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        self.proc = None


class CutProxy:
    """A TCP proxy in front of moto. It counts the HTTP requests that pass (by request line) and,
    when armed with cut_after_bytes, closes the first connection that carries a GET of an object
    under `cut_prefix` after that many response bytes: the client sees a transfer cut short."""

    def __init__(self, upstream_port, cut_prefix=None, cut_after_bytes=None):
        self.upstream_port = upstream_port
        self.cut_prefix = cut_prefix
        self.cut_after_bytes = cut_after_bytes
        self.cuts = 0
        self.requests = []  # request lines, in order
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        state = {"cut": False, "sent": 0}

        def up():
            try:
                while True:
                    data = client.recv(65536)
                    if not data:
                        break
                    for line in data.split(b"\r\n"):
                        if line[:4] in (b"GET ", b"PUT ", b"HEAD", b"POST", b"DELE"):
                            text = line.decode("latin-1")
                            with self.lock:
                                self.requests.append(text)
                                if (self.cut_after_bytes is not None and self.cuts == 0
                                        and text.startswith(f"GET /{BUCKET}/{self.cut_prefix}")):
                                    self.cuts += 1
                                    state["cut"] = True
                                    state["sent"] = 0
                    upstream.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    upstream.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        threading.Thread(target=up, daemon=True).start()
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                if state["cut"]:
                    room = self.cut_after_bytes - state["sent"]
                    if len(data) >= room:
                        client.sendall(data[:room])
                        break  # cut: close both ends mid-body
                    state["sent"] += len(data)
                client.sendall(data)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                try:
                    s.close()
                except OSError:
                    pass

    def count(self, prefix):
        with self.lock:
            return sum(1 for r in self.requests if r.startswith(prefix))

    def stop(self):
        self.running = False
        self.sock.close()


def s3_storage_yaml(endpoint, events_yaml="", key_id=None, secret=None):
    creds = ""
    if key_id:
        creds = f"  access_key_id: \"{key_id}\"\n  secret_access_key: \"{secret}\"\n"
    return (f"storage:\n  type: s3\n  bucket: {BUCKET}\n  endpoint: \"{endpoint}\"\n  region: {REGION}\n"
            f"  addressing: path\n{creds}" + (f"  events:\n{events_yaml}" if events_yaml else ""))


def set_storage(test, storage_yaml):
    """Replaces the `storage:` section of the test pipeline's ecompipe.yaml."""
    path = os.path.join(test.dir, "ecompipe.yaml")
    with open(path) as f:
        text = f.read()
    start = text.index("\nstorage:\n") + 1
    end = text.index("\n\n", start) + 1
    with open(path, "w") as f:
        f.write(text[:start] + storage_yaml.rstrip("\n") + "\n" + text[end:])


def wait_until(predicate, timeout=60, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
