"""The dashboard in a real headless Chromium (issue 15, points 3 and 6): sign in with a token,
land a file and see its run appear without reloading, open the run and the object's trail,
find no action button as a viewer, redrive a dead letter as an operator; the page at phone
width; the page and its assets come from the binary, with no request leaving the server.

EP_DASHBOARD_SCREENSHOTS=DIR saves the screenshots docs/operations.md shows into DIR
(docs/images when run from the repository: see docs/operations.md).
"""
import http.server
import os
import threading
import unittest

from api_util import OPERATOR_TOKEN, VIEWER_TOKEN, ApiTest
from browser import Browser, browser_python
from harness import HEADER, tx_key
from notify_servers import requires

CHART_JS = "/usr/share/javascript/chart.js/chart.min.js"


class Receiver:
    """A webhook receiver that refuses (HTTP 400: a dead letter at once) until `accept`."""

    def __init__(self):
        self.accept = False
        self.accepted = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = receiver.accept
                if ok:
                    receiver.accepted += 1
                self.send_response(200 if ok else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@requires(browser_python() is not None,
          "no Chromium with Selenium (apt-get install chromium chromium-driver python3-selenium)")
class DashboardTest(ApiTest):

    def start_api(self):
        # Every job state change also goes to a webhook that refuses it: dead letters to redrive.
        self.receiver = Receiver()
        self.addCleanup(self.receiver.close)
        path = os.path.join(self.dir, "ecompipe.yaml")
        with open(path) as f:
            text = f.read()
        log_subscription = "      - {type: log, path: notifications.jsonl}\n"
        self.assertIn(log_subscription, text)
        text = text.replace(log_subscription, log_subscription +
                            f'      - {{type: webhook, url: "{self.receiver.url}"}}\n')
        with open(path, "w") as f:
            f.write(text)
        return super().start_api()

    def url(self, fragment=""):
        return f"http://127.0.0.1:{self.port}/{fragment}"

    def browser(self, **kw):
        b = Browser(**kw)
        self.addCleanup(b.close)
        return b

    def sign_in(self, b, token, who):
        b.wait_count("#sign-in:not([hidden])")
        b.type("#token", token)
        b.click("#sign-in button[type=submit]")
        b.wait_text("#who", who)

    def screenshot(self, b, name):
        folder = os.environ.get("EP_DASHBOARD_SCREENSHOTS")
        if folder:
            os.makedirs(folder, exist_ok=True)
            b.screenshot(os.path.join(folder, f"dashboard-{name}.png"))

    def land_day(self, day):
        key = tx_key(day)
        self.land(key, HEADER + "\n"
                  f"TXN000{day:02d}001,C12345,P12345,2,29.99,2026-11-{day:02d},Credit Card,Completed\n"
                  f"TXN000{day:02d}002,C12346,P12346,1,49.99,2026-11-{day:02d},PayPal,Completed\n"
                  f"TXN000{day:02d}003,C99999,P12345,1,29.99,2026-11-{day:02d},PayPal,Completed\n")
        return key

    def dead_letters(self):
        status, _, value = self.request("GET", "/api/v1/notifications?status=dead",
                                        token=VIEWER_TOKEN)
        self.assertEqual(status, 200, value)
        return value["notifications"]

    def test_a_run_appears_live_its_trail_opens_and_an_operator_redrives_a_dead_letter(self):
        self.land_reference_dims()
        b = self.browser()
        b.get(self.url())
        b.wait_count("#sign-in:not([hidden])")
        b.type("#token", "not-a-token")
        b.click("#sign-in button[type=submit]")
        b.wait_text("#sign-in-error", "not valid")
        self.sign_in(b, VIEWER_TOKEN, "grafana (viewer)")
        b.wait_text("#view-body h1", "Overview")
        b.script("window.__sameDocument = 'yes'")

        key = self.land_day(3)
        row = b.wait_text("#view-body table tbody tr", "SUCCEEDED", timeout=60)
        self.assertTrue(row.endswith("\t2\t1"), row)  # rows loaded, rows rejected
        # The run appeared by polling: the document is the one signed in above.
        self.assertEqual(b.script("return window.__sameDocument"), "yes")
        self.assertEqual(b.text("[data-figure=rows_loaded] .n"), "2")
        self.assertEqual(b.text("[data-figure=rows_rejected] .n"), "1")
        self.screenshot(b, "overview")

        b.click("#view-body a[href^='#/runs/']")
        b.wait_text("#view-body h1", "Run")
        b.wait_text("#view-body", key)
        b.wait_text("#view-body", "unknown_customer_id")
        self.screenshot(b, "run")

        b.click("#view-body a[href^='#/objects/']")
        b.wait_text("ol.trail", "notified", timeout=30)
        steps = b.texts("ol.trail li strong")
        for step in ("landed", "crawled", "job run", "loaded", "notified"):
            self.assertIn(step, steps)
        self.screenshot(b, "trail")

        # The webhook refused the run's notification: a dead letter, which a viewer sees but
        # cannot redrive (no button, and the API says 403).
        self.wait_for(lambda: self.dead_letters(), timeout=60, what="a dead letter")
        b.click("#nav a[data-view=notifications]")
        b.wait_text("#view-body table", "dead")
        self.assertEqual(b.count("button[data-action=redrive]"), 0)
        dead = self.dead_letters()[0]["id"]
        status, _, _ = self.request("POST", f"/api/v1/notifications/{dead}/redrive",
                                    token=VIEWER_TOKEN, body={})
        self.assertEqual(status, 403)

        b.click("#sign-out")
        self.sign_in(b, OPERATOR_TOKEN, "oncall (operator)")
        b.click("#nav a[data-view=notifications]")
        b.wait_count("button[data-action=redrive]")
        self.screenshot(b, "notifications")
        self.receiver.accept = True
        b.click("button[data-action=redrive]")
        self.wait_for(lambda: self.receiver.accepted >= 1, timeout=60, what="the redriven delivery")
        self.wait_for(lambda: not self.dead_letters(), timeout=60, what="no dead letter left")
        b.wait_text("#view-body", "delivered")
        # The redrive is recorded in the event log: who, what, when.
        events = self.run_cli("events", "-n", "20", check=True).stdout
        self.assertIn("API Call", events)

    def test_rejects_catalog_and_a_phone_sized_screen(self):
        self.land_reference_dims()
        self.land_day(4)
        self.wait_for(lambda: self.request("GET", "/api/v1/rejects", token=VIEWER_TOKEN)[2]
                      ["rejects"], timeout=60, what="a reject")
        b = self.browser(width=390, height=844)
        b.get(self.url("#/rejects"))
        self.sign_in(b, VIEWER_TOKEN, "grafana")
        b.wait_text("#view-body table", "unknown_customer_id")
        b.wait_text("#view-body table", "C99999")  # the raw line
        self.assertEqual(b.count("#view-body tbody tr"), 1)
        # Filters narrow the list without reloading the page.
        b.type("#view-header input[name=reason]", "unknown_product_id\n")
        b.wait_text("#view-body", "No rejected rows match")
        self.screenshot(b, "rejects-phone")
        # At phone width nothing makes the page itself scroll sideways (tables scroll in a box).
        self.assertTrue(b.script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1"))
        b.click("#nav a[data-view=catalog]")
        b.wait_text("#view-body", "transactions")
        b.wait_text("#view-body", "transaction_id")
        self.screenshot(b, "catalog")

    def test_the_page_is_served_from_the_binary_and_loads_nothing_from_elsewhere(self):
        status, headers, page = self.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertIn("text/html", headers["Content-Type"])
        self.assertIn("default-src 'self'", headers["Content-Security-Policy"])
        self.assertIn(b"/assets/app.js", page)
        status, _, chart = self.request("GET", "/assets/chart.js")
        self.assertEqual(status, 200)
        with open(CHART_JS, "rb") as f:
            self.assertEqual(chart, f.read())
        self.assertEqual(self.request("GET", "/assets/nope.js")[0], 404)
        self.assertEqual(self.request("GET", "/api/v1/whoami")[0], 401)
        self.assertEqual(self.get("/api/v1/whoami"), {"name": "grafana", "role": "viewer"})

        b = self.browser()
        b.get(self.url())
        self.sign_in(b, VIEWER_TOKEN, "grafana")
        b.wait_text("#view-body h1", "Overview")
        origins = b.script("return performance.getEntriesByType('resource')"
                           ".map(e => new URL(e.name).origin)")
        self.assertTrue(origins)
        self.assertEqual(set(origins), {f"http://127.0.0.1:{self.port}"})
        self.assertTrue(b.script("return typeof Chart === 'function'"))


if __name__ == "__main__":
    unittest.main()
