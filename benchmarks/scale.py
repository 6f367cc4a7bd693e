"""Benchmark: a registry of N records end to end (issue 16, target 6).

Each step runs in its own process, one after another, on one work folder:

1. ``cohort synth``: the synthetic CSV of N records (seed 1), in chunks;
2. a bare DuckDB ``create table as select * from read_csv(...)`` of that CSV
   (the baseline the load is compared with; its database is deleted after);
3. ``cohort load --no-derive``;
4. ``cohort derive``;
5. ``cohort km --by node_burden`` (every site);
6. ``cohort cox --terms node_burden,age_at_dx`` (every site);
7. ``cohort report`` (the default specification, reports/node_burden.toml).

For each step: wall time (measured by this script around the process), CPU
seconds (user + system of the process and its threads, from ``wait4``) and
peak memory (the process's VmHWM, read by the step itself as it exits; see
``common.py`` for why not ``ru_maxrss``). Prints a table and JSON, and writes
the JSON to ``<dir>/scale_<n>.json``.

    python benchmarks/scale.py --n 1000000
    python benchmarks/scale.py --n 50000000 --dir /big/disk/scale --files 5 --no-bare

Without ``--keep`` the extract, the database and the report are deleted at
the end (the JSON stays). ``--reuse`` skips ``cohort synth`` when the work
folder already holds the extract of N records (its truth JSON says so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PEAK

# Every step writes its peak memory (kB) to argv[1] at exit, so the whole run counts
PEAK_AT_EXIT = f"""
import atexit, sys
out = sys.argv[1]
def peak():
    with open(out, "w") as fh:
        fh.write(str({PEAK}))
atexit.register(peak)
"""

# Runs one `cohort` command (argv[2:]) as the console script would
STEP = PEAK_AT_EXIT + """
from cohort.cli import main
main(sys.argv[2:], prog_name="cohort")
"""

# The baseline: DuckDB reading the same CSV into a table, every column typed
# as DuckDB infers it (no validation, no provenance).
BARE = PEAK_AT_EXIT + """
import duckdb
con = duckdb.connect(sys.argv[3])
con.execute("set enable_progress_bar = false")
con.execute("create table t as select * from read_csv(?)", [sys.argv[2]])
print(con.execute("select count(*) from t").fetchone()[0], "records")
"""


def run_step(name: str, code: str, args: list[str], work: Path) -> dict:
    """Run one step in a new Python; its wall time, CPU seconds and peak."""
    peak_file = work / f".peak_{name}"
    peak_file.unlink(missing_ok=True)
    log = work / f"{name}.log"
    t = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.Popen([sys.executable, "-c", code, str(peak_file), *args],
                                stdout=fh, stderr=subprocess.STDOUT, cwd=work)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    code = proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: tell Popen
    text = log.read_text()
    lines = text.strip().splitlines()
    if code != 0:
        sys.exit(f"{name} failed (exit {code}); its output ({log}):\n{text[-3000:]}")
    row = {
        "step": name,
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_gb": round(int(peak_file.read_text()) / 1e6, 3),
        # what the command said: its first and last lines (a summary, progress, notices)
        "output": [line[:200] for line in lines[:1] + lines[1:][-1:]],
    }
    peak_file.unlink()
    print(f"  {name:<8} {row['wall_s']:>9.1f} s wall {row['cpu_s']:>9.1f} s CPU "
          f"{row['peak_gb']:>7.2f} GB peak", flush=True)
    return row


def split_lines(csv: Path, k: int) -> list[Path]:
    """The extract cut into ``k`` files of whole lines, each with the header
    (byte ranges copied by the kernel, no lines parsed)."""
    size = csv.stat().st_size
    parts = []
    with open(csv, "rb") as src:
        header = src.readline()
        start = src.tell()
        for i in range(k):
            if i == k - 1:
                end = size
            else:
                src.seek(max(start, size * (i + 1) // k))
                src.readline()  # to the end of the line under the cut
                end = src.tell()
            part = csv.with_name(f"{csv.stem}.part{i + 1}.csv")
            with open(part, "wb") as dst:
                dst.write(header)
                dst.flush()
                left, offset = end - start, start
                while left > 0:
                    sent = os.copy_file_range(src.fileno(), dst.fileno(), left, offset)
                    if sent == 0:
                        break
                    offset += sent
                    left -= sent
            parts.append(part)
            start = end
    return parts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="records (default 1,000,000)")
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the extract, database and report")
    ap.add_argument("--reuse", action="store_true",
                    help="use the extract already in --dir (skip cohort synth)")
    ap.add_argument("--chunk", type=int, default=None, help="cohort synth --chunk")
    ap.add_argument("--files", type=int, default=1,
                    help="split the extract into this many files, loaded by one `cohort load` "
                         "(each file its own transaction, as a registry's yearly submissions)")
    ap.add_argument("--no-bare", action="store_true",
                    help="skip the bare DuckDB baseline (its time and disk, at 50M)")
    args = ap.parse_args()
    work = (args.dir or Path(tempfile.mkdtemp(prefix="cohort-scale-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    csv, db, bare_db, pdf = (work / f"synth_{args.n}.csv", work / "registry.duckdb",
                             work / "bare.duckdb", work / "report.pdf")
    truth = Path(str(csv) + ".truth.json")
    reuse = (args.reuse and csv.exists() and truth.exists()
             and json.loads(truth.read_text())["n"] == args.n)
    for f in (db, Path(str(db) + ".wal"), bare_db, Path(str(bare_db) + ".wal"), pdf):
        f.unlink(missing_ok=True)

    print(f"{args.n:,} records in {work}", flush=True)
    rows = []
    if not reuse:
        chunk = ["--chunk", str(args.chunk)] if args.chunk else []
        rows.append(run_step("synth", STEP, ["synth", "--n", str(args.n), "--seed", "1",
                                             "-o", str(csv), *chunk], work))
    if not args.no_bare:
        rows.append(run_step("bare", BARE, [str(csv), str(bare_db)], work))
        bare_db.unlink(missing_ok=True)
    parts = split_lines(csv, args.files) if args.files > 1 else [csv]
    rows.append(run_step("load", STEP, ["load", *map(str, parts), "--db", str(db),
                                        "--no-derive"], work))
    rows.append(run_step("derive", STEP, ["derive", "--db", str(db)], work))
    rows.append(run_step("km", STEP, ["km", "--by", "node_burden", "--db", str(db)], work))
    rows.append(run_step("cox", STEP, ["cox", "--terms", "node_burden,age_at_dx",
                                       "--db", str(db)], work))
    rows.append(run_step("report", STEP, ["report", "--db", str(db), "-o", str(pdf)], work))

    by = {r["step"]: r for r in rows}
    result = {
        "n": args.n,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB",
        "python": platform.python_version(),
        "csv_gb": round(csv.stat().st_size / 1e9, 3),
        "db_gb": round(db.stat().st_size / 1e9, 3),
        "synth_reused": reuse,
        "files": len(parts),
        "load_over_bare": (round(by["load"]["wall_s"] / by["bare"]["wall_s"], 2)
                           if "bare" in by else None),
        "steps": rows,
        "total_wall_s": round(sum(r["wall_s"] for r in rows), 1),
        "max_peak_gb": max(r["peak_gb"] for r in rows),
    }
    (work / f"scale_{args.n}.json").write_text(json.dumps(result, indent=2) + "\n")

    print(f"\n{args.n:,} records: CSV {result['csv_gb']} GB, database {result['db_gb']} GB"
          f"{' (extract reused)' if reuse else ''}")
    print("| step | wall (s) | CPU (s) | peak (GB) |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['step']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_gb']:.2f} |")
    print(f"load / bare DuckDB: {result['load_over_bare']}x; total {result['total_wall_s']} s; "
          f"largest peak {result['max_peak_gb']} GB")
    print(json.dumps(result))
    if not args.keep:
        for f in (csv, truth, Path(str(csv) + ".truth.parquet"), db, Path(str(db) + ".wal"),
                  pdf, *parts):
            f.unlink(missing_ok=True)
        for log in work.glob("*.log"):
            log.unlink()


if __name__ == "__main__":
    main()
