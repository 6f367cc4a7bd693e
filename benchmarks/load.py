"""Benchmark: `cohort load` against DuckDB's bare CREATE TABLE AS read_csv.

Generates a synthetic CSV (default 10 million records), then times, in the
same run and alternating, (a) DuckDB's own ``create table t as select * from
read_csv(file)`` into a fresh database file and (b) ``Registry.load`` of the
same file into a fresh registry (validation, rejects, duplicates, provenance;
``derive=False`` — derivation is measured by ``benchmarks/derive.py``). Each run is a separate process; peak
memory is its VmHWM (getrusage's maxrss would carry the parent's peak over). Prints medians and the ratio.

    python benchmarks/load.py --n 10000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = """
import duckdb, resource, sys, time
t = time.perf_counter()
con = duckdb.connect(sys.argv[2])
con.execute("set enable_progress_bar = false")
con.execute("create table t as select * from read_csv(?)", [sys.argv[1]])
n = con.execute("select count(*) from t").fetchone()[0]
con.close()
print(time.perf_counter() - t, int([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]), n)
"""

COHORT = """
import cohort, resource, sys, time
t = time.perf_counter()
(r,) = cohort.Registry(sys.argv[2]).load(sys.argv[1], derive=False)
print(time.perf_counter() - t, int([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]), r.rows_loaded)
"""


def run(code: str, csv: Path, db: Path) -> tuple[float, float, int]:
    for f in (db, Path(str(db) + ".wal")):
        f.unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, "-c", code, str(csv), str(db)], capture_output=True, text=True, check=True
    ).stdout.strip().splitlines()[-1].split()
    return float(out[0]), int(out[1]) / 1024, int(out[2])  # seconds, MB, rows


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
        t = time.perf_counter()
        cohort.synth.write(csv, n=args.n, seed=1)
        print(f"synth: {args.n:,} records in {time.perf_counter() - t:.1f} s "
              f"({csv.stat().st_size / 1e9:.2f} GB)")
    bare, ours = [], []
    for i in range(args.repeat):
        bare.append(run(BARE, csv, work / "bare.duckdb"))
        ours.append(run(COHORT, csv, work / "cohort.duckdb"))
        print(f"run {i + 1}: bare {bare[-1][0]:.1f} s {bare[-1][1]:.0f} MB | "
              f"cohort {ours[-1][0]:.1f} s {ours[-1][1]:.0f} MB")
    b = statistics.median(x[0] for x in bare)
    c = statistics.median(x[0] for x in ours)
    result = {
        "records": args.n,
        "bare_duckdb_median_s": round(b, 2),
        "cohort_load_median_s": round(c, 2),
        "ratio": round(c / b, 2),
        "bare_peak_mb": round(max(x[1] for x in bare)),
        "cohort_peak_mb": round(max(x[1] for x in ours)),
        "cohort_rows_loaded": ours[-1][2],
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
                   f"python {platform.python_version()}",
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
