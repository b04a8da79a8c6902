"""The HTTP API of `ecompipe serve` on the real binary: health, tokens and roles, hostile input
(docs/operations.md)."""
import socket
import time
import unittest

from api_util import ApiTest, OPERATOR_TOKEN, VIEWER_TOKEN


class HealthTest(ApiTest):
    def test_healthz_and_readyz_need_no_token(self):
        status, headers, body = self.request("GET", "/healthz")
        self.assertEqual((status, body), (200, {"status": "ok"}))
        self.assertEqual(headers["Content-Type"], "application/json")
        status, _, body = self.request("GET", "/readyz")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["status"], "ready")
        self.assertEqual(body["checks"]["state"], "ok")
        self.assertEqual(body["checks"]["warehouse"], "ok")

    def test_the_log_names_the_real_port_and_no_token(self):
        log = self.serve_log()
        self.assertIn(f"API listening. address=127.0.0.1:{self.port}", log)
        self.assertNotIn(VIEWER_TOKEN, log)
        self.assertNotIn(OPERATOR_TOKEN, log)


class AuthTest(ApiTest):
    def test_401_without_or_with_a_wrong_token(self):
        status, headers, body = self.request("GET", "/api/v1/status", source="127.0.0.11")
        self.assertEqual(status, 401, body)
        self.assertEqual(headers.get("WWW-Authenticate"), "Bearer")
        self.assertEqual(body["error"]["code"], "unauthorized")
        status, _, body = self.request("GET", "/api/v1/status", token="not-the-token-at-all",
                                       source="127.0.0.11")
        self.assertEqual(status, 401, body)
        self.assertNotIn("not-the-token-at-all", str(body))

    def test_a_token_of_each_role(self):
        for token in (VIEWER_TOKEN, OPERATOR_TOKEN):
            status, _, body = self.request("GET", "/api/v1/status", token=token,
                                           source="127.0.0.12")
            self.assertEqual(status, 200, body)

    def test_403_for_a_viewer_calling_an_operator_action(self):
        status, _, body = self.request("POST", "/api/v1/notifications/nope/redrive",
                                       token=VIEWER_TOKEN, source="127.0.0.13")
        self.assertEqual(status, 403, body)
        self.assertEqual(body["error"]["code"], "forbidden")
        status, _, body = self.request("POST", "/api/v1/notifications/nope/redrive",
                                       token=OPERATOR_TOKEN, source="127.0.0.13")
        self.assertEqual(status, 404, body)

    def test_failed_attempts_are_rate_limited_per_address(self):
        for i in range(10):
            status, _, _ = self.request("GET", "/api/v1/status", token=f"guess-{i}-0123456789",
                                        source="127.0.0.14")
            self.assertEqual(status, 401)
        status, headers, body = self.request("GET", "/api/v1/status", token=VIEWER_TOKEN,
                                             source="127.0.0.14")
        self.assertEqual(status, 429, body)
        self.assertGreater(int(headers["Retry-After"]), 0)
        # Another address is served, and the locked one still gets the public routes.
        self.assertEqual(self.request("GET", "/api/v1/status", token=VIEWER_TOKEN,
                                      source="127.0.0.15")[0], 200)
        self.assertEqual(self.request("GET", "/healthz", source="127.0.0.14")[0], 200)

    def test_a_mutating_call_is_recorded_in_the_event_log(self):
        status, _, _ = self.request("POST", "/api/v1/notifications/n-123/redrive",
                                    token=OPERATOR_TOKEN, source="127.0.0.16")
        events = self.cli_json("events", "--type", "API Call")
        self.assertEqual(len(events), 1, events)
        d = events[0]["detail"]
        self.assertEqual(d["principal"], "oncall")
        self.assertEqual(d["role"], "operator")
        self.assertEqual(d["method"], "POST")
        self.assertEqual(d["path"], "/api/v1/notifications/n-123/redrive")
        self.assertEqual(d["status"], status)
        self.assertTrue(events[0]["time"].endswith("Z"))
        self.assertNotIn(OPERATOR_TOKEN, str(events))


class HostileInputTest(ApiTest):
    def raw(self, data, source="127.0.0.21", wait=10):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=wait,
                                     source_address=(source, 0))
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                if b"\r\n\r\n" in out and b"Content-Length" in out:
                    head, _, rest = out.partition(b"\r\n\r\n")
                    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                    if len(rest) >= length:
                        break
        except (socket.timeout, ConnectionResetError):
            pass
        s.close()
        return out

    def assert_still_serving(self):
        self.assertEqual(self.request("GET", "/healthz")[0], 200)
        self.assertEqual(self.request("GET", "/api/v1/status", token=VIEWER_TOKEN,
                                      source="127.0.0.29")[0], 200)

    def test_path_tricks_are_refused_not_routed(self):
        for path in [b"/api/v1/../healthz", b"/api/v1/%2e%2e/healthz", b"/api/v1/%2E%2E/status",
                     b"/api/v1/./status", b"/api/v1/status%00", b"/api/v1/st%0d%0aatus",
                     b"/healthz/..", b"/api/v1/runs/..%2f..%2fhealthz"]:
            out = self.raw(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                           b"Authorization: Bearer " + VIEWER_TOKEN.encode() + b"\r\n\r\n")
            self.assertTrue(out.startswith(b"HTTP/1.1 400"), (path, out[:200]))
        self.assert_still_serving()

    def test_huge_headers_are_refused(self):
        out = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (200 << 10) +
                       b"\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out[:200])
        self.assertIn(b"RequestHeaderSectionTooLarge", out)
        # Many small header lines: past 64 KiB in all, the head is refused the same way.
        out = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                       b"".join(b"X-H%d: v\r\n" % i for i in range(10000)) + b"\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out[:200])
        self.assert_still_serving()

    def test_bad_json_and_garbage_are_answered(self):
        status, _, body = self.request("POST", "/api/v1/notifications/x/redrive",
                                       token=OPERATOR_TOKEN, body="{not json",
                                       headers={"Content-Type": "application/json"},
                                       source="127.0.0.22")
        self.assertIn(status, (400, 404), body)
        for junk in [b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                     b"POST /api/v1/status HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                     b"POST /healthz HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"]:
            self.raw(junk)
        self.assert_still_serving()

    def test_a_thousand_idle_connections_leave_it_serving(self):
        idle = []
        try:
            for i in range(1000):
                # 8 source addresses: the per-address cap (128) is not what is tested here.
                idle.append(socket.create_connection(
                    ("127.0.0.1", self.port), timeout=10,
                    source_address=(f"127.0.1.{i % 8 + 1}", 0)))
            for i, s in enumerate(idle[:500]):
                s.sendall(b"GET /healthz HTTP/1.1\r\n")  # a head that never ends
            start = time.time()
            self.assert_still_serving()
            self.assertLess(time.time() - start, 30)
        finally:
            for s in idle:
                s.close()
        self.assert_still_serving()


if __name__ == "__main__":
    unittest.main()
