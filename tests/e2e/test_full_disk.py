"""A full disk (issue 14, point 6), on a real small filesystem (a tmpfs; the test is skipped
where it cannot be mounted, i.e. without root). Before: the dispatcher retried about every
10 ms (100 log lines a second), a run interrupted by the full disk stayed RUNNING until a
restart, and `put` refused to land a file when the warehouse's disk was full although the
bucket was on another disk."""
import os
import subprocess
import time

from harness import PipelineTest, VALID_ROWS, rows_csv, tx_key


class FullDiskTest(PipelineTest):
    def mount_small_disk(self, size="4m"):
        self.disk = os.path.join(self.dir, "disk")
        os.makedirs(self.disk)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", self.disk],
                           capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        self.mounted = True

    def tearDown(self):
        if getattr(self, "mounted", False):
            self.unmount()
        super().tearDown()

    def read_log(self):
        with open(os.path.join(self.dir, "serve-0.log")) as f:
            return f.read()

    def unmount(self):
        for p in self.procs:  # nothing may hold the disk open
            if p.poll() is None:
                p.kill()
                p.wait()
        for _ in range(50):
            if subprocess.run(["umount", self.disk], capture_output=True).returncode == 0:
                return
            time.sleep(0.1)

    def fill_disk(self):
        with open(os.path.join(self.disk, "fill"), "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass

    def move_to_disk(self, state=True, warehouse=True):
        path = os.path.join(self.dir, "ecompipe.yaml")
        with open(path) as f:
            text = f.read()
        if state:
            text = text.replace("  path: .ecompipe/state.db", "  path: disk/state.db")
        if warehouse:
            text = text.replace("  path: warehouse.db", "  path: disk/warehouse.db")
        with open(path, "w") as f:
            f.write(text)

    def test_put_lands_a_file_while_the_warehouse_disk_is_full(self):
        self.mount_small_disk("2m")
        self.move_to_disk(state=False, warehouse=True)
        self.land_reference_dims()  # the warehouse exists, on the small disk
        self.fill_disk()
        src = os.path.join(self.dir, "t.csv")
        with open(src, "w") as f:
            f.write(rows_csv(VALID_ROWS))
        r = self.run_cli("put", src, tx_key(26))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("landed " + tx_key(26), r.stdout)
        self.assertTrue(os.path.exists(os.path.join(self.bucket, tx_key(26))))

    def test_serve_backs_off_reports_the_condition_and_recovers(self):
        self.mount_small_disk("4m")
        self.move_to_disk()
        self.land_reference_dims()
        serve = self.start_serve()
        self.land(tx_key(26), rows_csv(VALID_ROWS))
        self.wait_for(lambda: "Job run finished." in self.read_log(), what="the first load")
        self.fill_disk()
        rows = [f"TXN{i:08d},C12345,P12345,3,29.99,2026-11-27,Credit Card,Completed"
                for i in range(100, 30100)]
        self.land(tx_key(27), rows_csv(rows))
        self.wait_for(lambda: "Dispatch round failed" in self.read_log(), what="a failed round")
        lines_before = len(self.read_log().splitlines())
        time.sleep(6)
        text = self.read_log()
        # Backing off, and logged once per state change: a handful of lines, not hundreds.
        self.assertLessEqual(len(text.splitlines()) - lines_before, 4, text[-3000:])
        self.assertLessEqual(text.count("Dispatch round failed"), 2, text[-3000:])
        status = self.run_cli("status")
        self.assertRegex(status.stdout, r"Serve      pid \d+, degraded since .* failed rounds")
        self.assertIn("disk is full", status.stdout)

        # Room again (the disk grows, the filler goes): the file lands and loads, and no run is
        # left RUNNING; every FAILED run was notified.
        subprocess.run(["mount", "-o", "remount,size=64m", self.disk], check=True)
        os.remove(os.path.join(self.disk, "fill"))
        self.wait_for(lambda: "Dispatch recovered." in self.read_log(), timeout=90,
                      what="recovery")
        self.wait_for(lambda: self.run_cli("query", "--format", "csv",
                                           "SELECT count(*) FROM fact_transactions").stdout.split()[-1]
                      == str(4 + 30000), timeout=90, what="the second file loaded")
        self.wait_for(lambda: all(r["state"] not in ("STARTING", "RUNNING")
                                  for r in self.cli_json("runs")), what="every run finished")
        self.wait_for(lambda: "serving" in self.run_cli("status").stdout, what="status: serving")
        failed = {r["run_id"] for r in self.cli_json("runs") if r["state"] == "FAILED"}
        notified = {n["event"]["detail"]["jobRunId"] for n in self.notifications()
                    if n["event"]["detail"].get("state") == "FAILED"}
        self.assertEqual(failed, notified)
        self.stop(serve)
