#!/usr/bin/env python3
"""Summarises bench/run.sh's runs: OUT/<cmd>/time_<i>.txt (/usr/bin/time -v) and run_<i>.json.

Prints a markdown table (wall = median of the runs, rows/s, peak RSS MiB = max over runs,
speed = duckdb_fast's wall / wall, and sqlite's wall / wall, CPU s = median user+sys, which
other work on a shared machine inflates less than wall) and exits non-zero when a command's
counts or exact sum differ from ecompipe_csv's (which check.py has verified against the
reference), or, without ecompipe_csv, from the first command's that has counts.
ecompipe_sqlite*: wall is the script's own landing-to-commit seconds and peak RSS that of
`ecompipe process` (the set-up's load-dims is not the load); the WAL's peak size and the
warehouse file's size are printed per fact row below the table.
usage: summarize.py OUT N "cmd1 cmd2 ..."
"""
import json
import os
import re
import statistics
import sys

out, n, cmds = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
KEYS = ["fact_rows", "reject_rows", "small", "medium", "large", "sum_total_amount"]


def wall(text):
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
    h, mnt, s = m.groups()
    return int(h or 0) * 3600 + int(mnt) * 60 + float(s)


def rss_mib(text):
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024


def cpu_s(text):
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))
    return user + float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))


def last_json(path):
    try:
        with open(path) as f:
            lines = [ln for ln in f.read().splitlines() if ln.startswith("{")]
        return json.loads(lines[-1], parse_float=str, parse_int=str) if lines else {}
    except OSError:
        return {}


rows, bad = {}, []
for c in cmds:
    walls, rss, runs, cpus = [], [], [], []
    i = 1
    while os.path.exists(os.path.join(out, c, f"time_{i}.txt")):
        with open(os.path.join(out, c, f"time_{i}.txt")) as f:
            t = f.read()
        j = last_json(os.path.join(out, c, f"run_{i}.json"))
        # ecompipe_sqlite's own figure excludes its untimed set-up (init, load-dims).
        own = c.startswith("ecompipe_sqlite")
        walls.append(float(j["seconds"]) if own else wall(t))
        rss.append(float(j["process_peak_rss_mib"]) if own and "process_peak_rss_mib" in j else rss_mib(t))
        cpus.append(cpu_s(t))
        runs.append(j)
        i += 1
    if walls:
        rows[c] = (statistics.median(walls), max(rss), walls, runs[-1], statistics.median(cpus))

ref = rows.get("ecompipe_csv", (0, 0, [], {}, 0))[3]
if not ref:
    ref = next((j for (_, _, _, j, _) in rows.values() if "fact_rows" in j), {})
for c, (_, _, _, j, _) in rows.items():
    for k in KEYS:
        if k in j and k in ref and str(j[k]).rstrip("0").rstrip(".") != str(ref[k]).rstrip("0").rstrip("."):
            bad.append(f"{c}: {k} = {j[k]}, ecompipe_csv has {ref[k]}")

base = rows.get("duckdb_fast", (None,))[0]
lite = rows.get("sqlite", (None,))[0]
print(f"**N = {n:,}** (wall: median of {len(next(iter(rows.values()))[2]) if rows else 0} runs; "
      "ecompipe_sqlite: landing to commit)\n")
print("| command | wall s | rows/s | peak RSS MiB | speed vs duckdb_fast | speed vs sqlite | runs s | CPU s | agrees |")
print("|---|---:|---:|---:|---:|---:|---|---:|---|")
for c, (w, r, ws, j, cpu) in sorted(rows.items(), key=lambda kv: kv[1][0]):
    ratio = f"{base / w:.2f}x" if base and w else ""
    ratio_lite = f"{lite / w:.2f}x" if lite and w else ""
    agrees = "" if c == "floor" else ("NO" if any(b.startswith(c + ":") for b in bad) else "yes")
    print(f"| {c} | {w:.2f} | {n / w / 1e3:,.0f}k | {r:,.0f} | {ratio} | {ratio_lite} | {', '.join(f'{x:.2f}' for x in ws)} | {cpu:.2f} | {agrees} |")
for c, (_, _, _, j, _) in rows.items():
    if "wal_peak_bytes" in j and int(j.get("fact_rows", 0)):
        facts = int(j["fact_rows"])
        print(f"\n{c}: WAL peak {int(j['wal_peak_bytes']) / 2**20:,.0f} MiB = "
              f"{int(j['wal_peak_bytes']) / facts:.0f} bytes per fact row; warehouse.db "
              f"{int(j['db_bytes']) / 2**20:,.0f} MiB (dimensions included)")
if bad:
    print("\nDISAGREEMENTS:\n" + "\n".join("- " + b for b in bad))
    sys.exit(1)
