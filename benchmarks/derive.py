"""Benchmark: deriving the analysis variables against DuckDB scanning the table.

Loads a synthetic extract without deriving (once), then times, alternating
in fresh processes: (a) DuckDB reading the derivation's input columns of
raw_cases into Arrow (the scan derive itself needs), (b) DuckDB copying
those columns into a new table (scan + write, as derive writes), and (c)
``Registry.derive()`` over every record (polars, in batches, written back).
Peak memory per run: the process's VmHWM. Prints medians and ratios.

    python benchmarks/derive.py --n 10000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SCAN = """
import duckdb, resource, sys, time
from cohort.derive import input_columns
cols = ", ".join(["load_id", "record_no", *input_columns()])
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("set enable_progress_bar = false")
t = time.perf_counter()
n = con.sql(f"select {cols} from raw_cases").to_arrow_table().num_rows
print(time.perf_counter() - t, int([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]), n)
"""

COPY = """
import duckdb, resource, sys, time
from cohort.derive import input_columns
cols = ", ".join(["load_id", "record_no", *input_columns()])
con = duckdb.connect(sys.argv[1])
con.execute("set enable_progress_bar = false")
t = time.perf_counter()
con.execute(f"create or replace table __copy as select {cols} from raw_cases")
n = con.execute("select count(*) from __copy").fetchall()[0][0]
con.execute("drop table __copy")
print(time.perf_counter() - t, int([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]), n)
"""

DERIVE = """
import cohort, resource, sys, time
t = time.perf_counter()
n = cohort.Registry(sys.argv[1]).derive()
print(time.perf_counter() - t, int([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]), n)
"""


def run(code: str, db: Path) -> tuple[float, float, int]:
    out = subprocess.run(
        [sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=True
    ).stdout.strip().splitlines()[-1].split()
    return float(out[0]), int(out[1]) / 1024, int(out[2])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    args = ap.parse_args()
    import cohort

    work = args.dir or Path(tempfile.mkdtemp(prefix="cohort-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    csv = work / f"synth_{args.n}.csv"
    if not csv.exists():
        cohort.synth.write(csv, n=args.n, seed=1)
    db = work / f"derive_{args.n}.duckdb"
    if not db.exists():
        cohort.Registry(db).load(csv, derive=False)
    results = {"scan": [], "copy": [], "derive": []}
    for i in range(args.repeat):
        for name, code in (("scan", SCAN), ("copy", COPY), ("derive", DERIVE)):
            results[name].append(run(code, db))
        print(f"run {i + 1}: " + " | ".join(
            f"{k} {v[-1][0]:.1f} s {v[-1][1]:.0f} MB" for k, v in results.items()))
    med = {k: statistics.median(x[0] for x in v) for k, v in results.items()}
    print(json.dumps({
        "records": results["derive"][-1][2],
        "scan_to_arrow_median_s": round(med["scan"], 2),
        "copy_median_s": round(med["copy"], 2),
        "derive_median_s": round(med["derive"], 2),
        "ratio_to_scan": round(med["derive"] / med["scan"], 2),
        "ratio_to_copy": round(med["derive"] / med["copy"], 2),
        "derive_peak_mb": round(max(x[1] for x in results["derive"])),
        "scan_peak_mb": round(max(x[1] for x in results["scan"])),
        "machine": f"{platform.machine()}, python {platform.python_version()}, "
                   f"{shutil.os.cpu_count()} cores",
    }, indent=2))


if __name__ == "__main__":
    main()
