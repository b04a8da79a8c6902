#!/usr/bin/env python3
"""Runs the whole-pipeline scenario files (tests/scenarios/*.yaml) on the real ecompipe binary and
compares what came out (the steps' exit codes and output, warehouse tables, the event log, the
notifications) with the golden file beside each scenario, NAME.reference.json.

    python3 run_scenarios.py                        # every scenario
    python3 run_scenarios.py NAME.yaml [...]        # some
    EP_UPDATE_GOLDEN=1 python3 run_scenarios.py ... # run and rewrite their golden files

ECOMPIPE_BIN and EP_TEST_DATA_DIR name the binary and tests/data, as for tests/e2e (the defaults
are build/ecompipe and tests/data of this checkout). README.md in this folder describes the
scenario format; `normalise` below is the one place where values that differ from run to run
are replaced."""
import difflib
import gzip
import json
import os
import re
import shlex
import sys
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import harness  # noqa: E402
from harness import HEADER, PipelineTest  # noqa: E402

# Absolute, as steps run in the pipeline's folder and the golden files name tests/data $DATA.
harness.BIN = os.path.abspath(harness.BIN)
DATA = os.path.realpath(harness.DATA)

UPDATE = os.environ.get("EP_UPDATE_GOLDEN") == "1"

# Tables every scenario checks unless it names them itself (a name mapped to null drops one).
DEFAULT_TABLES = {
    "facts": "SELECT * FROM fact_transactions ORDER BY transaction_id, source_object",
    "rejects": "SELECT source_object, line, reason, detail, transaction_id, raw FROM rejects "
               "ORDER BY source_object, line",
    "ledger": "SELECT key, etag, status, rows_read, rows_loaded, rows_rejected, message, run_id, "
              "load_id FROM load_ledger ORDER BY key, finished_at",
}

SCENARIO_KEYS = {"description", "config", "steps", "tables", "events", "notifications",
                 "nothing_lost"}
CONTENT_KEYS = {"content", "rows", "file", "hex"}
CONTENT_OPTIONS = {"header", "final_newline", "encoding", "repeat", "gzip", "truncate"}


class ScenarioError(Exception):
    """A scenario file that does not say what it means: its name and what is wrong."""


# --- what a file holds -------------------------------------------------------------------------
def expand_rows(items, where):
    """The data lines of a `rows:` list. An item is a line, or
    {template: "TXN{i:08d},...", count: N, start: 1}: N lines, `i` counting from start; or
    {prefix: P, repeat: R, times: N, suffix: S}: one line P + R*N + S (huge fields)."""
    lines = []
    for item in items:
        if isinstance(item, str):
            lines.append(item)
        elif isinstance(item, dict) and "template" in item:
            start = item.get("start", 1)
            lines.extend(item["template"].format(i=i) for i in range(start, start + item["count"]))
        elif isinstance(item, dict) and "repeat" in item:
            lines.append(item.get("prefix", "") + item["repeat"] * item["times"] +
                         item.get("suffix", ""))
        else:
            raise ScenarioError(f"{where}: a row is a string, a template or a repeat: {item!r}")
    return lines


def file_bytes(spec, where):
    """The bytes a land/put step or a dimension file describes (README.md, "Files")."""
    unknown = set(spec) - CONTENT_KEYS - CONTENT_OPTIONS - {"key"}
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}")
    given = CONTENT_KEYS & set(spec)
    if len(given) != 1:
        raise ScenarioError(f"{where}: give exactly one of {sorted(CONTENT_KEYS)}")
    encoding = spec.get("encoding", "utf-8")
    if "content" in spec:
        data = spec["content"].encode(encoding)
    elif "rows" in spec:
        header = spec.get("header", HEADER)
        lines = ([header] if header is not None else []) + expand_rows(spec["rows"], where)
        text = "\n".join(lines) + ("\n" if lines and spec.get("final_newline", True) else "")
        data = text.encode(encoding)
    elif "file" in spec:
        with open(os.path.join(DATA, spec["file"]), "rb") as f:
            data = f.read()
    else:
        data = bytes.fromhex("".join(spec["hex"].split()))
    data *= spec.get("repeat", 1)
    if spec.get("gzip"):
        data = gzip.compress(data, mtime=0)  # no timestamp in the header: the same ETag each run
    if "truncate" in spec:
        data = data[:int(len(data) * spec["truncate"])]
    return data


# --- configuration -----------------------------------------------------------------------------
def merge(base, override):
    """`override` merged into `base`: mappings key by key (null removes a key), lists of named
    mappings (crawlers, jobs, topics, rules) item by name (a new name is appended), anything else
    replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = merge(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(override, list) and all(
            isinstance(x, dict) and "name" in x for x in base + override) and base:
        out = list(base)
        for item in override:
            at = next((i for i, x in enumerate(out) if x["name"] == item["name"]), None)
            if at is None:
                out.append(item)
            else:
                out[at] = merge(out[at], item)
        return out
    return override


# --- values that differ from run to run --------------------------------------------------------
# The one place where a golden file's variable fields are replaced. Everything not listed here
# (row contents, reasons, states, counts, keys, ETags, messages) is compared exactly.
#
# Ids are numbered by their first appearance in the output, so equal ids stay equal across
# tables, events and notifications (the run a ledger row names is the run its events name) and
# different ids stay different: "jr_<run 1>", "<uuid 3>". A run id's short form (`runs` prints
# 12 hex digits) gets the number of the full id it starts.
RUN_ID = re.compile(r"jr_[0-9a-f]{12,64}\b")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
# Values replaced by a fixed placeholder: clock readings and durations (the clock is not fixed,
# and tests never depend on it), and the per-landing random parts of an Object Created event.
PLACEHOLDERS = [
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?"), "<time>"),
    (re.compile(r'("(?:executionTimeMs|duration_ms)": )\d+'), r'\1"<ms>"'),
    (re.compile(r'("runningTime \(sec\)": )"\d+"'), r'\1"<s>"'),
    (re.compile(r"\bms=\d+"), "ms=<ms>"),
    (re.compile(r'("sequencer": )"[0-9A-F]+"'), r'\1"<sequencer>"'),
    (re.compile(r'("request-id": )"[0-9a-f]+"'), r'\1"<request-id>"'),
]


def normalise(text, paths):
    """`text` with the pipeline's folder and tests/data as $PIPELINE and $DATA, ids numbered and
    clock readings replaced (see above)."""
    for path, name in paths:
        text = text.replace(path, name)
    full_runs = []
    for m in RUN_ID.finditer(text):
        if len(m.group()) == 67 and m.group() not in full_runs:
            full_runs.append(m.group())
    numbers = {}

    def run_number(m):
        value = m.group()
        owner = value if len(value) == 67 else next(
            (r for r in full_runs if r.startswith(value)), value)
        n = numbers.setdefault(owner, len(numbers) + 1)
        return f"jr_<run {n}>" if owner == value else f"jr_<run {n} short>"

    text = RUN_ID.sub(run_number, text)
    uuids = {}
    text = UUID.sub(lambda m: "<uuid %d>" % uuids.setdefault(m.group(), len(uuids) + 1), text)
    for pattern, replacement in PLACEHOLDERS:
        text = pattern.sub(replacement, text)
    return text


def dump(value, indent=0, room=100):
    """JSON, one value per line where a value does not fit in `room` columns, else on one line:
    tables come out a row a line, so a diff points at the row."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) <= room or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, list):
        items = [pad + dump(v, indent + 2, 100 - indent - 2) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    items = []
    for k, v in value.items():
        key = json.dumps(k, ensure_ascii=False) + ": "
        items.append(pad + key + dump(v, indent + 2, 100 - indent - 2 - len(key)))
    return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"


# --- running one scenario ----------------------------------------------------------------------
class Scenario(PipelineTest):
    """One scenario file on a fresh pipeline folder made by `ecompipe init` (harness.py)."""

    path = None  # set on each generated subclass

    def runTest(self):
        name = os.path.basename(self.path)[:-len(".yaml")]
        with open(self.path) as f:
            spec = yaml.safe_load(f) or {}
        unknown = set(spec) - SCENARIO_KEYS
        if unknown:
            raise ScenarioError(f"{name}: unknown keys {sorted(unknown)}")
        self.files = 0
        if spec.get("config"):
            self.configure(spec["config"])
        out = {"scenario": name, "steps": []}
        for i, step in enumerate(spec.get("steps") or []):
            record = self.step(step, f"{name}: steps[{i}]")
            if record:
                out["steps"].append(record)

        tables = dict(DEFAULT_TABLES)
        tables.update(spec.get("tables") or {})
        out["tables"] = {}
        for table, sql in tables.items():
            if sql is not None:
                out["tables"][table] = self.query(sql)
        if spec.get("events", True):
            out["events"] = list(reversed(json.loads(
                self.run_cli("events", "--json", "-n", "1000000", check=True).stdout)))
        if spec.get("notifications", True):
            out["notifications"] = self.notifications()
        if spec.get("nothing_lost", True):
            self.check_nothing_lost()

        paths = [(os.path.realpath(self.dir), "$PIPELINE"), (self.dir, "$PIPELINE"), (DATA, "$DATA")]
        actual = normalise(dump(out), paths) + "\n"
        golden = os.path.join(os.path.dirname(self.path), name + ".reference.json")
        if UPDATE:
            with open(golden, "w") as f:
                f.write(actual)
            print(f"rewrote {os.path.relpath(golden)}", file=sys.stderr)
            return
        if not os.path.exists(golden):
            self.fail(f"{name}: no golden file {golden}; run with EP_UPDATE_GOLDEN=1 to write "
                      "it, then read it before committing")
        with open(golden) as f:
            expected = f.read()
        if actual != expected:
            diff = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                             os.path.basename(golden), "actual", lineterm="", n=4))
            shown = "\n".join(diff[:600]) + ("\n..." if len(diff) > 600 else "")
            self.fail(f"{name}: the outputs differ from the golden file (- golden, + actual):\n"
                      f"{shown}\nIf the change is intended, rewrite it with EP_UPDATE_GOLDEN=1 "
                      "and review its diff.")

    def configure(self, overrides):
        """Merges `overrides` into the pipeline's ecompipe.yaml (init's default at first)."""
        path = os.path.join(self.dir, "ecompipe.yaml")
        with open(path) as f:
            config = yaml.safe_load(f)
        with open(path, "w") as f:
            f.write("# The default `ecompipe init` writes, with a scenario's overrides merged.\n")
            yaml.safe_dump(merge(config, overrides), f, sort_keys=False, allow_unicode=True,
                           width=1000)

    def step(self, step, where):
        """Runs one step; returns what the golden file records of it (None: nothing)."""
        if step == "process":
            step = {"run": ["process"], "stderr": False}
        if not isinstance(step, dict):
            raise ScenarioError(f"{where}: a step is 'process' or a mapping, not {step!r}")
        kinds = [k for k in ("land", "put", "load_dims", "run", "config") if k in step]
        if len(kinds) != 1 or set(step) - set(kinds) - {"stderr"}:
            raise ScenarioError(f"{where}: a step is one of land, put, load_dims, run, config "
                                f"(with stderr: true|false), not {sorted(step)}")
        if kinds[0] in ("land", "put") and "key" not in step[kinds[0]]:
            raise ScenarioError(f"{where}: {kinds[0]} needs a key")
        if "land" in step:
            spec = step["land"]
            self.land(spec["key"], file_bytes(spec, where))
            return {"land": spec["key"]}
        if "put" in step:
            spec = step["put"]
            src = self.write_file(file_bytes(spec, where))
            return self.command(["put", src, spec["key"]], step.get("stderr", True))
        if "load_dims" in step:
            args = ["load-dims"]
            for dimension, source in step["load_dims"].items():
                if isinstance(source, str):
                    path = os.path.join(DATA, source)
                else:
                    path = self.write_file(file_bytes(source, where), f"{dimension}.csv")
                args += [f"--{dimension}", path]
            return self.command(args, step.get("stderr", True))
        if "run" in step:
            args = step["run"]
            args = shlex.split(args) if isinstance(args, str) else [str(a) for a in args]
            return self.command(args, step.get("stderr", args[0] != "process"))
        if "config" in step:
            self.configure(step["config"])
            return {"config": step["config"]}
        raise ScenarioError(f"{where}: unknown step {sorted(step)}")

    def write_file(self, data, name=None):
        self.files += 1
        path = os.path.join(self.dir, "inputs", name or f"file-{self.files}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def command(self, args, with_stderr):
        r = self.run_cli(*args)
        record = {"run": shlex.join(args), "exit": r.returncode}
        stdout = r.stdout.strip()
        if stdout[:1] in ("[", "{"):
            try:
                record["stdout_json"] = json.loads(stdout)
            except ValueError:
                record["stdout"] = stdout.splitlines()
        elif stdout:
            record["stdout"] = stdout.splitlines()
        if with_stderr and r.stderr.strip():
            record["stderr"] = r.stderr.strip().splitlines()
        return record

    def query(self, sql):
        r = self.run_cli("query", sql, "--format", "json")
        if r.returncode != 0:
            self.fail(f"query failed: {sql}\n{r.stderr}")
        return json.loads(r.stdout)

    def check_nothing_lost(self):
        """For every loaded object: rows read = loaded + rejected, and the tables hold as many."""
        for row in self.query(
                "SELECT l.key, l.rows_read, l.rows_loaded, l.rows_rejected, "
                "(SELECT count(*) FROM fact_transactions f WHERE f.source_object = l.key) AS facts, "
                "(SELECT count(*) FROM rejects r WHERE r.source_object = l.key) AS rejects "
                "FROM load_ledger l WHERE l.status = 'loaded'"):
            read, loaded, rejected, facts, rejects = (
                int(row[k]) for k in ("rows_read", "rows_loaded", "rows_rejected", "facts",
                                      "rejects"))
            self.assertEqual(read, loaded + rejected, f"nothing lost: {row}")
            self.assertEqual((facts, rejects), (loaded, rejected), f"nothing lost: {row}")


def scenario_test(path):
    name = os.path.basename(path)[:-len(".yaml")]
    cls = type(name, (Scenario,), {"path": os.path.abspath(path)})
    return cls()


def main(argv):
    paths = argv or sorted(os.path.join(HERE, f) for f in os.listdir(HERE) if f.endswith(".yaml"))
    suite = unittest.TestSuite(scenario_test(p if os.path.exists(p) else os.path.join(HERE, p))
                               for p in paths)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
