"""A real Prometheus server scrapes `ecompipe serve`'s /metrics: files land (one through the S3
endpoint, one copied into the folder), and the rows loaded, read back through Prometheus's own
query API, equal the warehouse's fact count; `promtool check metrics` finds nothing to say about
the text served.

Needs Debian's `prometheus` (/usr/bin/prometheus and promtool); skipped without it unless
EP_TEST_REQUIRE_SERVERS=1. Rerun alone:
  cd tests/e2e && ECOMPIPE_BIN=$PWD/../../build/ecompipe EP_TEST_DATA_DIR=$PWD/../data \\
    python3 -m unittest -v test_prometheus
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import BIN, VALID_ROWS, PipelineTest, rows_csv, tx_key
from notify_servers import free_port, requires
from s3_endpoint_util import ACCESS_KEY, BUCKET, REGION, SECRET_KEY, S3EndpointTest

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
TOKEN = "viewer-token-for-the-prometheus-test-0123456789"

requires_prometheus = requires(
    os.access(PROMETHEUS, os.X_OK) and os.access(PROMTOOL, os.X_OK),
    "Prometheus is not installed (Debian: apt install prometheus)")


@requires_prometheus
class PrometheusScrapeTest(S3EndpointTest):

    def setUp(self):
        # S3EndpointTest's serve, with an api section too (viewer token, /metrics needs it).
        PipelineTest.setUp(self)
        with open(os.path.join(self.dir, "ecompipe.yaml"), "a") as f:
            f.write("\ns3_endpoint:\n"
                    "  listen: 127.0.0.1:0\n"
                    f"  region: {REGION}\n"
                    "  access_keys:\n"
                    f"    - {{id: {ACCESS_KEY}, secret: \"{SECRET_KEY}\"}}\n"
                    "\napi:\n"
                    "  listen: 127.0.0.1:0\n"
                    "  tokens:\n"
                    "    - {name: prometheus, token_env: EP_TEST_VIEWER_TOKEN, role: viewer}\n"
                    "  metrics: token\n")
        self.land_reference_dims()
        self.serve = self.start_serve(env={"EP_TEST_VIEWER_TOKEN": TOKEN})
        self.port = self.wait_for(lambda: self.logged_port("S3 endpoint"), timeout=60,
                                  what="the S3 endpoint to listen")
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.api_port = self.wait_for(lambda: self.logged_port("API"), timeout=60,
                                      what="the API to listen")
        self.prom_dir = tempfile.mkdtemp(prefix="ecompipe-prometheus-")

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.prom_dir, ignore_errors=True)

    def logged_port(self, what):
        log = self.serve_log()
        if self.serve.poll() is not None:
            self.fail("ecompipe serve exited:\n" + log)
        m = re.search(what + r" listening\. address=127\.0\.0\.1:(\d+)", log)
        return m and int(m.group(1))

    def scrape(self, token=TOKEN):
        req = urllib.request.Request(f"http://127.0.0.1:{self.api_port}/metrics")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers.get("Content-Type"), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read().decode()

    def fact_count(self):
        r = subprocess.run([BIN, "query", "--format", "json",
                            "SELECT count(*) AS n FROM fact_transactions"],
                           cwd=self.dir, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)[0]["n"]

    def start_prometheus(self):
        """Prometheus scraping the API every second, with the viewer token from a file."""
        token_file = os.path.join(self.prom_dir, "token")
        with open(token_file, "w") as f:
            f.write(TOKEN)
        config = os.path.join(self.prom_dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n"
                    "  scrape_interval: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: ecompipe\n"
                    "    authorization:\n"
                    f"      credentials_file: {token_file}\n"
                    "    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{self.api_port}']\n")
        self.prom_port = free_port()
        log = open(os.path.join(self.prom_dir, "prometheus.log"), "w")
        self.logs.append(log)
        p = subprocess.Popen([PROMETHEUS, f"--config.file={config}",
                              f"--storage.tsdb.path={os.path.join(self.prom_dir, 'data')}",
                              f"--web.listen-address=127.0.0.1:{self.prom_port}"],
                             stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def prom_query(self, query):
        """The samples of an instant query through Prometheus's HTTP API: {labels: value}."""
        url = (f"http://127.0.0.1:{self.prom_port}/api/v1/query?" +
               urllib.parse.urlencode({"query": query}))
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.loads(r.read())
        except (urllib.error.URLError, ConnectionError):
            return None  # not up yet
        self.assertEqual(body["status"], "success", body)
        return {json.dumps(s["metric"], sort_keys=True): float(s["value"][1])
                for s in body["data"]["result"]}

    def prometheus_log(self):
        with open(os.path.join(self.prom_dir, "prometheus.log")) as f:
            return f.read()

    def test_prometheus_reads_back_the_rows_loaded_equal_to_the_fact_count(self):
        # One file through the S3 endpoint, one copied into the folder (with a reject).
        uploaded = rows_csv(r.replace("TXN0", "TXN1", 1) for r in VALID_ROWS[:3]).encode()
        status, _, body = self.raw_request("PUT", f"/{BUCKET}/{tx_key(25)}", body=uploaded)
        self.assertEqual(status, 200, body)
        self.land(tx_key(26), rows_csv(VALID_ROWS + [
            "TXN00000009,C12345,P99999,1,10.00,2026-11-26,Credit Card,Completed"]))
        expected = 3 + len(VALID_ROWS)
        self.wait_for(lambda: self.fact_count() == expected, timeout=120,
                      what=f"{expected} facts loaded")

        # The text served is clean by promtool's lint, and needs the token.
        self.assertEqual(self.scrape(token=None)[0], 401)
        status, content_type, text = self.scrape()
        self.assertEqual(status, 200, text)
        self.assertTrue(content_type.startswith("text/plain; version=0.0.4"), content_type)
        lint = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                              text=True, timeout=60)
        self.assertEqual((lint.returncode, lint.stdout + lint.stderr), (0, ""), text)

        prom = self.start_prometheus()

        def loaded():
            if prom.poll() is not None:
                self.fail("prometheus exited:\n" + self.prometheus_log())
            got = self.prom_query("sum(ecompipe_rows_loaded_total)")
            return got and list(got.values())[0] == expected

        self.wait_for(loaded, timeout=90, what="Prometheus to scrape the rows loaded\n" +
                      (self.prometheus_log() if os.path.exists(
                          os.path.join(self.prom_dir, "prometheus.log")) else ""))
        self.assertEqual(list(self.prom_query("sum(ecompipe_rows_loaded_total)").values()),
                         [float(self.fact_count())])
        self.assertEqual(list(self.prom_query('up{job="ecompipe"}').values()), [1.0])
        self.assertEqual(list(self.prom_query("ecompipe_objects_landed_total").values()), [2.0])
        self.assertEqual(list(self.prom_query("sum(ecompipe_objects_loaded_total)").values()),
                         [2.0])
        self.assertEqual(
            list(self.prom_query(
                'ecompipe_rows_rejected_total{reason="unknown_product_id"}').values()), [1.0])
        self.assertEqual(
            list(self.prom_query(
                'ecompipe_s3_requests_total{operation="PutObject",status="200"}').values()), [1.0])
        self.assertGreaterEqual(
            list(self.prom_query("ecompipe_s3_received_bytes_total").values())[0], len(uploaded))
        runs = self.prom_query('sum(ecompipe_run_duration_seconds_count{state="SUCCEEDED"})')
        self.assertGreaterEqual(list(runs.values())[0], 1.0)
        # The state gauges: nothing waits, nothing is dead.
        self.assertEqual(list(self.prom_query("ecompipe_state_store_up").values()), [1.0])
        self.assertEqual(list(self.prom_query("sum(ecompipe_dead_letters)").values()), [0.0])


if __name__ == "__main__":
    import unittest
    unittest.main()
