"""The JSON API's reads on the real binary after a file was loaded: runs, runs/{id}, objects and
an object's trail, events, rejects, catalog, notifications; and the OpenAPI document checked
against the server (docs/operations.md)."""
import json
import os
import re
import unittest
import urllib.parse

from api_util import ApiTest, OPERATOR_TOKEN, VIEWER_TOKEN
from harness import VALID_ROWS, rows_csv, tx_key

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


class ReadsTest(ApiTest):
    def setUp(self):
        super().setUp()
        self.land_reference_dims()
        self.key = tx_key(26)
        self.land(self.key, rows_csv(VALID_ROWS + ["TXN00000009,C12345,P99999,1,1.00,2026-11-26,"
                                                   "Credit Card,Completed"]))
        self.wait_for(lambda: self.get("/api/v1/runs")["runs"]
                      and self.get("/api/v1/runs")["runs"][0]["state"] == "SUCCEEDED",
                      what="the run to succeed")

    def test_runs_and_a_run_by_prefix(self):
        page = self.get("/api/v1/runs")
        self.assertEqual(page["next_cursor"], "")
        run = page["runs"][0]
        self.assertEqual(run["job"], "ecommerce_data_processing")
        self.assertEqual(run["rows_loaded"], 4)
        self.assertIsInstance(run["rows_loaded"], int)
        self.assertRegex(run["started_at"], RFC3339)
        self.assertEqual(self.get("/api/v1/runs?state=FAILED")["runs"], [])
        self.assertEqual(self.get("/api/v1/runs?job=other")["runs"], [])
        self.assertEqual(len(self.get("/api/v1/runs?since=2000-01-01T00:00:00Z")["runs"]), 1)
        self.assertEqual(self.get("/api/v1/runs?since=2999-01-01")["runs"], [])
        detail = self.get("/api/v1/runs/" + run["run_id"][:9])
        self.assertEqual(detail["run_id"], run["run_id"])
        [obj] = detail["objects"]
        self.assertEqual(obj["key"], self.key)
        self.assertEqual((obj["rows_read"], obj["rows_loaded"], obj["rows_rejected"]), (5, 4, 1))
        self.assertEqual(obj["reject_reasons"], {"unknown_product_id": 1})
        status, _, body = self.request("GET", "/api/v1/runs/jr_nope", token=VIEWER_TOKEN)
        self.assertEqual(status, 404, body)
        status, _, body = self.request("GET", "/api/v1/runs?state=DONE", token=VIEWER_TOKEN)
        self.assertEqual(status, 400, body)
        self.assertIn("STARTING", body["error"]["message"])
        status, _, body = self.request("GET", "/api/v1/runs?since=yesterday", token=VIEWER_TOKEN)
        self.assertEqual(status, 400, body)
        status, _, body = self.request("GET", "/api/v1/runs?limit=0", token=VIEWER_TOKEN)
        self.assertEqual(status, 400, body)

    def test_the_cli_and_the_api_give_the_same_answers(self):
        cli = self.cli_json("runs")
        api = self.get("/api/v1/runs/" + cli[0]["run_id"])
        for field in ("run_id", "job", "state", "started_at", "rows_read", "rows_loaded"):
            self.assertEqual(api[field], cli[0][field])
        cli_status = self.cli_json("status")
        api_status = self.get("/api/v1/status")
        self.assertEqual(api_status["warehouse"], cli_status["warehouse"])
        self.assertEqual(api_status["last_run"], cli_status["last_run"])
        r = self.run_cli("catalog", "--format", "json", check=True)
        self.assertEqual(self.get("/api/v1/catalog")["tables"], json.loads(r.stdout))

    def test_objects_and_the_trail(self):
        objects = self.get("/api/v1/objects?prefix=transactions/")["objects"]
        self.assertEqual([o["key"] for o in objects], [self.key])
        o = objects[0]
        self.assertEqual((o["status"], o["rows_loaded"], o["rows_rejected"]), ("loaded", 4, 1))
        self.assertEqual(self.get("/api/v1/objects?prefix=dimensions/")["objects"], [])
        trail = self.get("/api/v1/objects/trail?key=" + urllib.parse.quote(self.key))
        [version] = trail["versions"]
        steps = [s["step"] for s in version["steps"]]
        self.assertEqual(steps[:4], ["landed", "crawled", "job_run", "loaded"])
        self.assertIn("notified", steps)
        for s in version["steps"]:
            self.assertRegex(s["at"], RFC3339, s)
        # The key's '=' need not be encoded (curl sends it as it is).
        self.assertEqual(self.get("/api/v1/objects/trail?key=" + self.key), trail)
        status, _, _ = self.request("GET", "/api/v1/objects/trail?key=nope", token=VIEWER_TOKEN)
        self.assertEqual(status, 404)

    def test_events_rejects_notifications(self):
        events = self.get("/api/v1/events?detail-type=Glue%20Job%20State%20Change")["events"]
        self.assertEqual([e["event"]["detail"]["state"] for e in events],
                         ["SUCCEEDED", "RUNNING", "STARTING"])
        page = self.get("/api/v1/events?limit=2")
        self.assertEqual(len(page["events"]), 2)
        older = self.get("/api/v1/events?limit=2&cursor=" + page["next_cursor"])["events"]
        self.assertLess(older[0]["seq"], page["events"][-1]["seq"])
        self.assertEqual(self.get("/api/v1/events?since=2999-01-01T00:00:00Z")["events"], [])
        rejects = self.get("/api/v1/rejects?reason=unknown_product_id")
        [r] = rejects["rejects"]
        self.assertEqual((r["object"], r["line"], r["reason"]), (self.key, 6, "unknown_product_id"))
        name = os.path.basename(self.key)
        self.assertEqual(len(self.get("/api/v1/rejects?object=" + name)["rejects"]), 1)
        self.assertEqual(self.get("/api/v1/rejects?reason=invalid_price")["rejects"], [])
        notes = self.get("/api/v1/notifications")["notifications"]
        self.assertTrue(notes)
        self.assertIn(notes[0]["status"], ("pending", "delivered"))
        self.assertEqual(self.get("/api/v1/notifications?status=dead")["notifications"], [])

    def test_pages_follow_each_other(self):
        for n in range(2, 5):
            self.land(tx_key(n), rows_csv(VALID_ROWS[:1]))
            self.wait_for(lambda: len(self.get("/api/v1/objects")["objects"]) >= n,
                          what="another load")
        keys, cursor = [], ""
        while True:
            page = self.get("/api/v1/objects?limit=1" + ("&cursor=" + urllib.parse.quote(cursor)
                                                         if cursor else ""))
            keys += [o["key"] for o in page["objects"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(keys, sorted(keys))
        self.assertEqual(len(keys), 4)
        runs, cursor = [], ""
        while True:
            page = self.get("/api/v1/runs?limit=1" + ("&cursor=" + urllib.parse.quote(cursor)
                                                      if cursor else ""))
            runs += [r["run_id"] for r in page["runs"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(runs, [r["run_id"] for r in self.get("/api/v1/runs")["runs"]])
        self.assertEqual(len(set(runs)), len(runs))


class OpenApiTest(ApiTest):
    def test_the_document_is_valid_openapi_and_matches_the_routes(self):
        doc = self.get("/api/v1/openapi.json", token=None)
        self.assertTrue(doc["openapi"].startswith("3."))
        try:
            from openapi_spec_validator import validate
        except ImportError:  # a structural check stands in for the validator
            validate = None
        if validate:
            validate(doc)
        for path, item in doc["paths"].items():
            self.assertTrue(path.startswith("/"), path)
            for method, op in item.items():
                self.assertIn(method, ("get", "post"), path)
                self.assertIn("200", op["responses"], path)
                url = re.sub(r"\{[^}]+\}", "x", path)
                status, _, body = self.request(method.upper(), url, token=OPERATOR_TOKEN,
                                               source="127.0.0.31")
                # The route exists: any answer but the router's own 404 and 405.
                message = body["error"]["message"] if isinstance(body, dict) and "error" in body \
                    else ""
                self.assertFalse(status == 404 and message.startswith("no such path"),
                                 f"{method} {path} is documented but not routed")
                self.assertNotEqual(status, 405, f"{method} {path}")
                self.assertLess(status, 500, f"{method} {url}: {body}")


if __name__ == "__main__":
    unittest.main()
