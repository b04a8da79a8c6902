"""Helpers for the HTTP API's tests: a pipeline whose `serve` runs the API on a free port."""
import http.client
import json
import os
import re

from harness import PipelineTest

VIEWER_TOKEN = "viewer-e2e-token-5f0c1a2b3c4d5e6f"
OPERATOR_TOKEN = "operator-e2e-token-9a8b7c6d5e4f3a2b"


class ApiTest(PipelineTest):
    """setUp appends an `api` section (`api_extra` lines added to it) and starts `serve`."""

    api_extra = ""

    def setUp(self):
        super().setUp()
        with open(os.path.join(self.dir, "ecompipe.yaml"), "a") as f:
            f.write("\napi:\n  listen: 127.0.0.1:0\n  tokens:\n"
                    "    - {name: grafana, token_env: EP_E2E_VIEWER, role: viewer}\n"
                    "    - {name: oncall, token_env: EP_E2E_OPERATOR, role: operator}\n"
                    + self.api_extra)
        self.serve = self.start_api()

    def start_api(self):
        proc = self.start_serve(env={"EP_E2E_VIEWER": VIEWER_TOKEN,
                                     "EP_E2E_OPERATOR": OPERATOR_TOKEN})
        log = os.path.join(self.dir, f"serve-{len(self.procs) - 1}.log")

        def port():
            if proc.poll() is not None:
                with open(log) as f:
                    self.fail("serve exited: " + f.read())
            with open(log) as f:
                m = re.search(r"API listening\. address=[^ ]*:(\d+)", f.read())
            return int(m.group(1)) if m else None
        self.port = self.wait_for(port, timeout=60, what="the API's log line")
        self.serve_log_path = log
        return proc

    def serve_log(self):
        with open(self.serve_log_path) as f:
            return f.read()

    def request(self, method, path, token=None, body=None, headers=None, source="127.0.0.1"):
        """(status, headers, parsed JSON or raw text) of one request on a new connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                          source_address=(source, 0))
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = body if body is None or isinstance(body, (bytes, str)) else json.dumps(body)
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        conn.close()
        ctype = r.getheader("Content-Type", "")
        value = json.loads(raw) if ctype.startswith("application/json") and raw else raw
        return r.status, dict(r.getheaders()), value

    def get(self, path, token=VIEWER_TOKEN, **kw):
        status, _, value = self.request("GET", path, token=token, **kw)
        self.assertEqual(status, 200, f"GET {path}: {value}")
        return value
