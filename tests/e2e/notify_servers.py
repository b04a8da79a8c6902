"""Real servers for the notification tests, started on 127.0.0.1 ephemeral ports and stopped by
the test: an SMTP server (aiosmtpd), an HTTP webhook receiver that verifies HMAC signatures, and
moto_server as the SNS endpoint.

aiosmtpd comes from Debian's python3-aiosmtpd, so it runs under /usr/bin/python3, which is not
necessarily the Python running the tests (a pyenv one may come first on PATH and lacks it; moto
and boto3 are there instead). EP_AIOSMTPD_PYTHON names the interpreter to use; otherwise the
candidates below are probed. A test whose server software is missing skips, saying why, except
under EP_TEST_REQUIRE_SERVERS=1 (scripts/test.sh sets it, so CI never passes by skipping): then it
fails.
"""
import email
import email.policy
import glob
import hashlib
import hmac
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _has_module(python, module):
    try:
        return subprocess.run([python, "-c", f"import {module}"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_python_with(module, env_var):
    candidates = [os.environ.get(env_var), "/usr/bin/python3", sys.executable, shutil.which("python3")]
    for c in candidates:
        if c and os.path.exists(c) and _has_module(c, module):
            return c
    return None


def requires(available, reason):
    """unittest.skipUnless, except that under EP_TEST_REQUIRE_SERVERS=1 a missing server fails the
    test instead of skipping it."""
    if available:
        return lambda cls: cls
    if os.environ.get("EP_TEST_REQUIRE_SERVERS") == "1":
        def fail(cls):
            def setUp(self):
                self.fail("required server software missing: " + reason)
            cls.setUp = setUp
            return cls
        return fail
    return unittest.skip(reason)


def make_test_certificate(folder):
    """A self-signed certificate for 127.0.0.1 (it is its own CA: point ca_file at it)."""
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], capture_output=True, text=True, check=True)
    return cert, key


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class SmtpSink:
    """aiosmtpd in a child process; messages() parses what it received, in arrival order."""

    def __init__(self, port=None, user=None, password=None, cert=None, key=None, tls="starttls"):
        self.python = find_python_with("aiosmtpd", "EP_AIOSMTPD_PYTHON")
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="ecompipe-smtp-")
        self.user, self.password = user, password
        self.cert, self.key, self.tls = cert, key, tls
        self.proc = None

    def start(self):
        args = [self.python, os.path.join(HERE, "smtp_sink.py"), str(self.port), self.dir]
        if self.user:
            args += [self.user, self.password]
            if self.cert:
                args += [self.cert, self.key, self.tls]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()  # "READY", or "" when it died
        if "READY" not in line or not wait_port(self.port):
            self.stop()
            self.log.seek(0)
            raise RuntimeError(f"SMTP sink did not start: {self.log.read().decode(errors='replace')}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        if self.proc:
            self.proc.stdout.close()
            self.log.close()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def raw(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.dir, "*.eml"))):
            with open(path, "rb") as f:
                raw = f.read()
            with open(path[:-4] + ".json") as f:
                envelope = json.load(f)
            out.append((raw, envelope))
        return out

    def messages(self):
        return [(email.message_from_bytes(raw, policy=email.policy.default), env)
                for raw, env in self.raw()]


class WebhookReceiver:
    """An HTTP server that verifies X-Ecompipe-Signature and answers from a script of statuses
    (then 200); a status "hang" holds the request for hang_s seconds without answering, then
    drops the connection. Every request is kept with its verdict."""

    def __init__(self, secret, statuses=(), port=0, tolerance_s=300, hang_s=30):
        self.secret = secret.encode()
        self.statuses = list(statuses)
        self.hang_s = hang_s
        self.tolerance_s = tolerance_s
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                verdict = receiver.verify(self.headers, body)
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    if verdict != "ok":
                        status = 401
                    receiver.requests.append({"headers": dict(self.headers), "body": body,
                                              "verdict": verdict, "status": status})
                if status == "hang":
                    time.sleep(receiver.hang_s)
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hooks/ecompipe"):
        return f"http://127.0.0.1:{self.port}{path}"

    def verify(self, headers, body):
        """What a receiver should do: recompute the HMAC over timestamp.body, compare in constant
        time, and reject stale timestamps (replays)."""
        ts = headers.get("X-Ecompipe-Timestamp", "")
        sig = headers.get("X-Ecompipe-Signature", "")
        if not ts.isdigit() or not sig.startswith("v1="):
            return "unsigned"
        if abs(time.time() - int(ts)) > self.tolerance_s:
            return "stale"
        want = hmac.new(self.secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        return "ok" if hmac.compare_digest(want, sig[3:]) else "bad-signature"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class MotoSns:
    """moto_server with IAM authentication switched on, so SigV4 signatures are verified: the
    first few (set-up) requests are free, later ones need a valid signature by a known key."""

    def __init__(self):
        self.python = find_python_with("moto", "EP_MOTO_PYTHON")
        self.port = free_port()
        self.proc = None
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def start(self, free_requests):
        env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(free_requests),
               "AWS_DEFAULT_REGION": "eu-west-1"}
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([self.python, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                                      str(self.port)], stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env)
        if not wait_port(self.port, 60):
            raise RuntimeError("moto_server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        if self.proc:
            self.log.close()
        self.proc = None


def set_topics(test, topics_yaml):
    """Replaces the `topics:` section of the test pipeline's ecompipe.yaml."""
    path = os.path.join(test.dir, "ecompipe.yaml")
    with open(path) as f:
        text = f.read()
    start = text.index("\ntopics:\n") + 1
    end = text.index("\nrules:\n", start) + 1
    # Keep the comment block that introduces the rules out of the replaced span's way.
    comment = text.rfind("\n\n", start, end)
    end = comment + 1 if comment > start else end
    with open(path, "w") as f:
        f.write(text[:start] + topics_yaml.rstrip("\n") + "\n" + text[end:])
