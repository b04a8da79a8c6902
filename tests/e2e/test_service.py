"""Running ecompipe as a service: --version, the systemd readiness protocol, logs, reload."""
import json
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


class LogTest(PipelineTest):
    ROW = "TXN{n},C12345,P12345,2,10.00,2026-11-26,card,completed"

    def land_day(self, day):
        self.land(tx_key(day), HEADER + "\n" + self.ROW.format(n=day) + "\n")

    def loaded(self):
        return self.wh("SELECT count(*) FROM load_ledger WHERE status='loaded'")[0][0]

    def assert_json_lines(self, text):
        lines = [json.loads(line) for line in text.splitlines()]  # every line, or it raises
        for line in lines:
            self.assertRegex(line["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertIn(line["level"], {"debug", "info", "warning", "error", "critical"})
            self.assertIsInstance(line["message"], str)
        return lines

    def test_json_log_on_stderr_has_the_text_logs_fields(self):
        self.land_reference_dims()
        serve = self.start_serve_with("--log-format", "json")
        self.land_day(26)
        self.wait_for(lambda: self.loaded() == 1, what="the load")
        self.assertEqual(self.stop(serve), 0)
        lines = self.assert_json_lines(self.read_log(0))
        serving = next(l for l in lines if l["message"] == "Serving.")
        self.assertEqual(serving["bucket"], self.bucket)
        self.assertRegex(serving["new_objects_at_start"], r"^[01]$")  # the file may beat the scan
        self.assertTrue(any(l["message"] == "Stopped cleanly." for l in lines))
        # The same run in text: the same sentences and fields, one per line.
        text = self.run_cli("process", "-v").stderr
        self.assertNotIn("{", text.splitlines()[0])

    def test_config_log_section_writes_json_to_a_file_that_sigusr1_reopens(self):
        with open(os.path.join(self.dir, "ecompipe.yaml"), "a") as f:
            f.write("\nlog:\n  format: json\n  file: logs/ecompipe.log\n")
        os.makedirs(os.path.join(self.dir, "logs"))
        log = os.path.join(self.dir, "logs", "ecompipe.log")
        self.land_reference_dims()
        serve = self.start_serve_with()
        self.wait_for(lambda: os.path.exists(log) and "Serving." in open(log).read(),
                      what="serve to log to the file")
        self.land_day(26)
        self.wait_for(lambda: self.loaded() == 1, what="the first load")
        os.rename(log, log + ".1")  # what logrotate does, then it sends SIGUSR1
        serve.send_signal(signal.SIGUSR1)
        self.wait_for(lambda: os.path.exists(log) and "Log file reopened." in open(log).read(),
                      what="the log file to be reopened")
        self.land_day(27)
        self.wait_for(lambda: self.loaded() == 2, what="the second load")
        self.assertEqual(self.stop(serve), 0)
        with open(log + ".1") as f:
            before = self.assert_json_lines(f.read())
        with open(log) as f:
            after = self.assert_json_lines(f.read())
        self.assertTrue(any(l["message"] == "Serving." for l in before))
        self.assertFalse(any(l["message"] == "Stopped cleanly." for l in before))
        self.assertTrue(any(l["message"] == "Stopped cleanly." for l in after))
        self.assertEqual(self.read_log(0), "")  # nothing on stderr

    def test_bad_log_format_is_a_config_error_with_its_line(self):
        with open(os.path.join(self.dir, "ecompipe.yaml"), "a") as f:
            f.write("\nlog:\n  format: xml\n")
        r = self.run_cli("status")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"ecompipe\.yaml:\d+: .*text or json")

    def start_serve_with(self, *args):
        log = open(os.path.join(self.dir, f"serve-{len(self.procs)}.log"), "w")
        self.logs.append(log)
        p = subprocess.Popen([BIN, "serve", *args], cwd=self.dir, stdout=subprocess.DEVNULL,
                             stderr=log)
        self.procs.append(p)
        return p

    def read_log(self, index):
        with open(os.path.join(self.dir, f"serve-{index}.log")) as f:
            return f.read()


class ReloadTest(PipelineTest):
    """SIGHUP re-reads ecompipe.yaml: a valid file takes effect for what comes next, a broken one
    is refused with its errors logged and the running configuration kept."""

    PRODUCTS = "product_id,product_name,category,price,supplier_id\n{id},Reloaded,Gadgets,1.00,S1\n"

    def products(self):
        return {r[0] for r in self.wh("SELECT product_id FROM dim_products")}

    def log(self):
        with open(os.path.join(self.dir, "serve-0.log")) as f:
            return f.read()

    def edit(self, old, new):
        path = os.path.join(self.dir, "ecompipe.yaml")
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))

    def reload(self, serve, marker):
        count = self.log().count(marker)
        serve.send_signal(signal.SIGHUP)
        self.wait_for(lambda: self.log().count(marker) > count, what=marker)

    def test_sighup_applies_a_changed_rule_and_refuses_a_broken_file(self):
        serve = self.start_serve()
        self.wait_for(lambda: "Serving." in self.log(), what="serve to start")
        # Before the reload, dims/products/ is routed nowhere.
        self.land("dims/products/before.csv", self.PRODUCTS.format(id="P88888"))
        self.edit("key: [{prefix: dimensions/products/}]", "key: [{prefix: dims/products/}]")
        self.edit("  path: warehouse.db\n", "  path: elsewhere.db\n")
        self.reload(serve, "Configuration reloaded.")
        self.assertIn("Configuration section changed; it takes effect after a restart, the running "
                      "one stays. section=warehouse", self.log())
        self.land("dims/products/after.csv", self.PRODUCTS.format(id="P99999"))
        self.wait_for(lambda: "P99999" in self.products(), what="the reloaded rule to load it")
        self.assertNotIn("P88888", self.products())  # landed before: matched by the old rules
        self.assertFalse(os.path.exists(os.path.join(self.dir, "elsewhere.db")))

        # A broken file: every error logged, and the running configuration stays.
        self.edit("targets: [{type: start_job, name: ecommerce_data_processing}]",
                  "targets: [{type: start_job, name: nightly}]")
        self.edit("  bucket: raw-transactions\n", "  bucket: raw-transactions\n  bukcet: x\n")
        self.reload(serve, "Configuration not reloaded; the running one stays.")
        refused = [l for l in self.log().splitlines() if "Configuration not reloaded" in l]
        self.assertEqual(len(refused), 2, refused)
        self.assertRegex(refused[0], r"error=ecompipe\.yaml:\d+: unknown key 'storage\.bukcet'")
        self.assertRegex(refused[1], r"error=ecompipe\.yaml:\d+: .*no job named 'nightly'")
        self.land("dims/products/still.csv", self.PRODUCTS.format(id="P77777"))
        self.wait_for(lambda: "P77777" in self.products(), what="the kept rule to load it")
        self.assertEqual(serve.poll(), None)
        self.assertEqual(self.stop(serve), 0)


if __name__ == "__main__":
    unittest.main()
