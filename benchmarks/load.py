"""Benchmark: `cohort load` against DuckDB's bare CREATE TABLE AS read_csv.

Generates a synthetic CSV (default 10 million records), then times, in the
same run and alternating, (a) DuckDB's own ``create table t as select * from
read_csv(file)`` into a fresh database file and (b) ``Registry.load`` of the
same file into a fresh registry (validation, rejects, duplicates, provenance;
``derive=False`` — derivation is measured by ``benchmarks/derive.py``). Each run is
a separate process; peak memory is its VmHWM (getrusage's maxrss would carry the
parent's peak over), CPU its process time (all threads). Prints medians and ratios.

    python benchmarks/load.py --n 10000000 --repeat 3
"""

from __future__ import annotations

import json
import platform
import statistics
from pathlib import Path

from common import PEAK, options, run_child, synth_csv, work_dir

BARE = """
import duckdb, resource, sys, time
t, c = time.perf_counter(), time.process_time()
con = duckdb.connect(sys.argv[2])
con.execute("set enable_progress_bar = false")
con.execute("create table t as select * from read_csv(?)", [sys.argv[1]])
n = con.execute("select count(*) from t").fetchone()[0]
con.close()
print(time.perf_counter() - t, __PEAK__, n, time.process_time() - c)
"""

COHORT = """
import cohort, resource, sys, time
t, c = time.perf_counter(), time.process_time()
(r,) = cohort.Registry(sys.argv[2]).load(sys.argv[1], derive=False)
print(time.perf_counter() - t, __PEAK__, r.rows_loaded, time.process_time() - c)
"""


BARE = BARE.replace("__PEAK__", PEAK)
COHORT = COHORT.replace("__PEAK__", PEAK)

def run(code: str, csv: Path, db: Path) -> tuple[float, float, int, float]:
    out = run_child(code, csv, db, fresh_db=db)
    return float(out[0]), int(out[1]) / 1024, int(out[2]), float(out[3])  # s, MB, rows, CPU s


def main() -> None:
    args = options(__doc__, n=10_000_000, repeat=3)
    work = work_dir(args)
    csv = synth_csv(work, args.n)
    bare, ours = [], []
    for i in range(args.repeat):
        bare.append(run(BARE, csv, work / "bare.duckdb"))
        ours.append(run(COHORT, csv, work / "cohort.duckdb"))
        print(f"run {i + 1}: bare {bare[-1][0]:.1f} s (cpu {bare[-1][3]:.1f} s) "
              f"{bare[-1][1]:.0f} MB | cohort {ours[-1][0]:.1f} s (cpu {ours[-1][3]:.1f} s) "
              f"{ours[-1][1]:.0f} MB", flush=True)
    b = statistics.median(x[0] for x in bare)
    c = statistics.median(x[0] for x in ours)
    b_cpu = statistics.median(x[3] for x in bare)
    c_cpu = statistics.median(x[3] for x in ours)
    result = {
        "records": args.n,
        "bare_duckdb_median_s": round(b, 2),
        "cohort_load_median_s": round(c, 2),
        "ratio": round(c / b, 2),
        "bare_duckdb_cpu_median_s": round(b_cpu, 2),
        "cohort_load_cpu_median_s": round(c_cpu, 2),
        "cpu_ratio": round(c_cpu / b_cpu, 2),
        "bare_peak_mb": round(max(x[1] for x in bare)),
        "cohort_peak_mb": round(max(x[1] for x in ours)),
        "cohort_rows_loaded": ours[-1][2],
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
                   f"python {platform.python_version()}",
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
