"""Running ecompipe as a service: --version, the systemd readiness protocol, logs, reload."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import BIN, HEADER, PipelineTest, tx_key

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def project_version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        return re.search(r"project\(ecompipe VERSION (\S+)", f.read()).group(1)


class VersionTest(unittest.TestCase):
    def test_version_names_version_commit_build_type_and_features(self):
        r = subprocess.run([BIN, "--version"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "ecompipe " + project_version())
        fields = dict(line.split(": ", 1) for line in lines[1:])
        self.assertEqual(set(fields), {"commit", "build type", "features"})
        self.assertRegex(fields["commit"], r"^([0-9a-f]{12}(-dirty)?|unknown)$")
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True)
        if head.returncode == 0:  # built from this checkout
            self.assertEqual(fields["commit"].split("-")[0], head.stdout.strip())
        self.assertIn(fields["build type"], {"Release", "RelWithDebInfo", "Debug", "MinSizeRel"})

    def run_build_info_script(self, source_dir, commit=""):
        out = os.path.join(self.tmp, "build_info.cc")
        subprocess.run(["cmake", f"-DSOURCE_DIR={source_dir}", f"-DOUT={out}", "-DVERSION=9.8.7",
                        "-DBUILD_TYPE=Release", "-DFEATURES=", f"-DGIT_COMMIT={commit}", "-P",
                        os.path.join(ROOT, "cmake", "build_info.cmake")], check=True,
                       capture_output=True, env={k: v for k, v in os.environ.items()
                                                 if not k.startswith("GIT_")})
        with open(out) as f:
            return f.read()

    def test_a_tree_without_git_says_unknown_or_the_commit_given(self):
        self.tmp = tempfile.mkdtemp(prefix="ecompipe-build-info-")
        self.addCleanup(shutil.rmtree, self.tmp)
        source = os.path.join(self.tmp, "src")  # an unpacked source archive: no .git
        os.mkdir(source)
        self.assertIn('{"9.8.7", "unknown", "Release", ""}', self.run_build_info_script(source))
        self.assertIn('{"9.8.7", "0123456789ab", "Release", ""}',
                      self.run_build_info_script(source, commit="0123456789ab"))


def features():
    r = subprocess.run([BIN, "--version"], capture_output=True, text=True, timeout=60)
    return re.search(r"^features: (.*)$", r.stdout, re.M).group(1).split()


class NotifyTest(PipelineTest):
    """serve speaks systemd's notify protocol: the test plays the service manager, reading the
    datagrams from the socket it names in NOTIFY_SOCKET."""

    def setUp(self):
        if "systemd" not in features():
            if os.environ.get("EP_TEST_REQUIRE_SERVERS"):
                self.fail("ecompipe was built without libsystemd (install libsystemd-dev)")
            self.skipTest("ecompipe was built without libsystemd")
        super().setUp()
        self.socket_path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.socket_path)
        self.addCleanup(self.sock.close)
        self.messages = []

    def next_message(self, timeout=60):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096).decode()
        except socket.timeout:
            self.fail(f"no notification within {timeout} s; had {self.messages}")
        fields = dict(line.split("=", 1) for line in data.splitlines())
        self.messages.append(fields)
        return fields

    def wait_message(self, key, timeout=60):
        while True:
            m = self.next_message(timeout)
            if key in m:
                return m

    def test_ready_after_the_bucket_is_watched_and_the_s3_endpoint_listens(self):
        with open(os.path.join(self.dir, "ecompipe.yaml"), "a") as f:
            f.write("\ns3_endpoint:\n  listen: 127.0.0.1:0\n  region: us-east-1\n"
                    "  access_keys:\n    - {id: AKIAECOMPIPETEST0001, secret: \"s3cr3t\"}\n")
        self.land_reference_dims()
        serve = self.start_serve(env={"NOTIFY_SOCKET": self.socket_path})
        ready = self.wait_message("READY")
        self.assertEqual(ready["READY"], "1")
        self.assertIn("Serving", ready["STATUS"])
        with open(os.path.join(self.dir, "serve-0.log")) as f:
            log = f.read()
        # Everything start-up does came before READY=1: the endpoint listens ...
        port = int(re.search(r"S3 endpoint listening\. address=127\.0\.0\.1:(\d+)", log).group(1))
        socket.create_connection(("127.0.0.1", port), timeout=10).close()
        self.assertIn("Serving.", log)
        # ... and the watcher sees a file landed after it (the start-up scan is over by now).
        self.land(tx_key(26), HEADER + "\nTXN1,C12345,P12345,2,10.00,2026-11-26,card,completed\n")
        self.wait_for(lambda: self.wh("SELECT count(*) FROM fact_transactions")[0][0] == 1,
                      what="the file landed after READY=1 to load")
        self.assertEqual(self.stop(serve), 0)
        self.assertEqual(self.wait_message("STOPPING")["STOPPING"], "1")

    def test_watchdog_pings_when_the_manager_asks_for_them(self):
        serve = self.start_serve(env={"NOTIFY_SOCKET": self.socket_path,
                                      "WATCHDOG_USEC": "200000"})
        self.wait_message("READY")
        for _ in range(3):
            self.assertEqual(self.wait_message("WATCHDOG")["WATCHDOG"], "1")
        self.assertEqual(self.stop(serve), 0)

    def test_no_watchdog_pings_unless_asked(self):
        serve = self.start_serve(env={"NOTIFY_SOCKET": self.socket_path})
        self.wait_message("READY")
        self.assertEqual(self.stop(serve), 0)
        self.wait_message("STOPPING")
        self.assertFalse(any("WATCHDOG" in m for m in self.messages), self.messages)


if __name__ == "__main__":
    unittest.main()
