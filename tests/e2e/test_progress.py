"""The progress line of put, load-dims, process and job run (--progress=auto|always|never): drawn
on stderr when it is a terminal or when asked, never otherwise, and cleared when each piece ends."""
import os
import pty
import re
import subprocess
import tempfile

from harness import BIN, DATA, VALID_ROWS, PipelineTest, rows_csv, tx_key

# One drawing: "\r", the line, "\x1b[K" (erase the rest of the line); a piece ends "\r\x1b[K".
SIZE = r"\d+(\.\d)? (B|KiB|MiB|GiB)"
LINE = re.compile(rf"^(?P<what>.+?)  (?P<done>{SIZE})( / (?P<total>{SIZE})  (?P<pct>\d+)%)?"
                  rf"(  {SIZE}/s(  ETA \d+(s|m\d\ds|h\d\dm))?)?$")


def drawings(stderr):
    """The lines drawn, in order; fails on text between them that is not a drawing."""
    out = []
    for part in stderr.split("\r")[1:]:
        if part == "\x1b[K" or part.startswith("\x1b[K"):
            continue  # the clearing (and whatever the command printed after it)
        line, sep, _ = part.partition("\x1b[K")
        assert sep, f"a drawing without its erase: {part!r}"
        out.append(line)
    return out


class ProgressTest(PipelineTest):

    def run_with_stderr(self, args, stderr):
        return subprocess.run([BIN, *args], cwd=self.dir, stdout=subprocess.PIPE, stderr=stderr,
                              timeout=600)

    def captured(self, *args):
        """Runs `ecompipe ARGS` with stderr sent to a file, as a user capturing it would."""
        with tempfile.TemporaryFile(dir=self.dir) as f:
            r = self.run_with_stderr(args, f)
            f.seek(0)
            err = f.read().decode()
        self.assertEqual(r.returncode, 0, err)
        return err

    def big_transactions(self, path, rows=20000):
        with open(path, "w") as f:
            f.write(rows_csv(f"TXN{i:08d}," + VALID_ROWS[i % 4].split(",", 1)[1]
                             for i in range(rows)))

    def assert_one_finished_line(self, err, what):
        lines = drawings(err)
        self.assertTrue(lines, repr(err))
        for line in lines:
            m = LINE.match(line)
            self.assertIsNotNone(m, f"not a progress line: {line!r}")
            # A long name keeps its last 45 characters.
            self.assertEqual(m.group("what"), what if len(what) <= 48 else "..." + what[-45:])
        last = LINE.match(lines[-1])
        self.assertEqual(last.group("pct"), "100", lines)
        self.assertEqual(last.group("done"), last.group("total"))
        self.assertTrue(err.rstrip("\n").split("\r")[-1].startswith("\x1b[K"),
                        "the line is cleared at the end")

    def test_always_draws_put_load_dims_process_and_job_run(self):
        src = os.path.join(self.dir, "tx.csv")
        self.big_transactions(src)
        self.assert_one_finished_line(
            self.captured("--progress=always", "put", src, tx_key(26)), tx_key(26))

        products = os.path.join(DATA, "products.csv")
        customers = os.path.join(DATA, "customers.csv")
        err = self.captured("--progress=always", "load-dims", "--products", products)
        self.assert_one_finished_line(err, products)
        err = self.captured("--progress=always", "load-dims", "--customers", customers)
        self.assert_one_finished_line(err, customers)

        err = self.captured("--progress=always", "process", "-q")
        self.assert_one_finished_line(err, tx_key(26))

        out = os.path.join(self.dir, "out")
        err = self.captured("--progress=always", "job", "run", "--transactions", src,
                            "--products", products, "--customers", customers, "--out", out)
        self.assert_one_finished_line(err, src)

    def test_auto_draws_nothing_when_stderr_is_not_a_terminal(self):
        src = os.path.join(self.dir, "tx.csv")
        self.big_transactions(src, rows=100)
        for args in (["put", src, tx_key(26)],
                     ["load-dims", "--products", os.path.join(DATA, "products.csv"),
                      "--customers", os.path.join(DATA, "customers.csv")],
                     ["process", "-q"]):
            with self.subTest(args=args[0]):
                err = self.captured(*args)
                self.assertNotIn("\r", err)
                self.assertNotIn("\x1b", err)

    def test_auto_draws_on_a_terminal_and_never_does_not(self):
        src = os.path.join(self.dir, "tx.csv")
        self.big_transactions(src, rows=100)
        for mode, shown in (("auto", True), ("never", False)):
            with self.subTest(mode=mode):
                leader, follower = pty.openpty()
                try:
                    r = self.run_with_stderr([f"--progress={mode}", "put", src, f"misc/{mode}.csv"],
                                             follower)
                    os.close(follower)
                    follower = -1
                    err = b""
                    while True:
                        try:
                            chunk = os.read(leader, 65536)
                        except OSError:  # EIO: the terminal's other end is closed
                            break
                        if not chunk:
                            break
                        err += chunk
                finally:
                    os.close(leader)
                    if follower >= 0:
                        os.close(follower)
                self.assertEqual(r.returncode, 0, err)
                if shown:
                    self.assert_one_finished_line(err.decode(), f"misc/{mode}.csv")
                else:
                    self.assertNotIn(b"\r", err)


if __name__ == "__main__":
    import unittest
    unittest.main()
