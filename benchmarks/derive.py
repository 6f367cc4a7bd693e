"""Benchmark: deriving the analysis variables against DuckDB scanning the table.

Loads a synthetic extract without deriving (once), then times, alternating
in fresh processes: (a) DuckDB reading the derivation's input columns of
raw_cases into Arrow (the scan derive itself needs), (b) DuckDB copying
those columns into a new table (scan + write, as derive writes), and (c)
``Registry.derive()`` over every record (distinct input combinations in
DuckDB, polars on those, one ``insert ... select``), and with ``--baseline REV``
the same ``Registry.derive()`` of git revision REV (extracted with git archive)
on the same registry. Peak memory per run: the process's VmHWM. Prints medians
and ratios. Each derive commits, so a run finds the registry derived by the
previous one; it derives everything again either way.

    python benchmarks/derive.py --n 10000000 --repeat 3 [--polars] [--baseline main]
    python benchmarks/derive.py --db COPY.duckdb --repeat 3 --baseline main
"""

from __future__ import annotations

import json
import platform
import shutil
import statistics
from pathlib import Path

from common import PEAK, baseline_tree, options, run_child, synth_csv, work_dir

SCAN = """
import duckdb, resource, sys, time
from cohort.derive import input_columns
cols = ", ".join(["load_id", "record_no", *input_columns()])
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("set enable_progress_bar = false")
t, c = time.perf_counter(), time.process_time()
n = con.sql(f"select {cols} from raw_cases").to_arrow_table().num_rows
print(time.perf_counter() - t, __PEAK__, n, time.process_time() - c)
"""

COPY = """
import duckdb, resource, sys, time
from cohort.derive import input_columns
cols = ", ".join(["load_id", "record_no", *input_columns()])
con = duckdb.connect(sys.argv[1])
con.execute("set enable_progress_bar = false")
t, c = time.perf_counter(), time.process_time()
con.execute(f"create or replace table __copy as select {cols} from raw_cases")
n = con.execute("select count(*) from __copy").fetchall()[0][0]
con.execute("drop table __copy")
print(time.perf_counter() - t, __PEAK__, n, time.process_time() - c)
"""

# the derivation before issue 16 (kept here only as the baseline): records read in
# batches of 250,000 into polars, every record derived there, written back through
# Arrow; rolled back afterwards (not timed) so the next run finds the same table
POLARS = """
import duckdb, resource, sys, time
from cohort.derive import DERIVED_COLUMNS, derive, input_columns
cols = ", ".join(["load_id", "record_no", *input_columns()])
keep = ["load_id", "record_no", *DERIVED_COLUMNS]
con = duckdb.connect(sys.argv[1])
con.execute("set enable_progress_bar = false")
t, c = time.perf_counter(), time.process_time()
con.execute("begin")
con.execute("delete from case_derived")
(first, last), = con.execute("select min(rowid), max(rowid) from raw_cases").fetchall()
n = 0
for start in range(first, last + 1, 250_000):
    batch = con.sql(f"select {cols} from raw_cases where rowid between ? and ?",
                    params=[start, start + 249_999]).pl()
    con.register("__b", derive(batch).select(keep).to_arrow())
    con.execute("insert into case_derived by name select * from __b")
    con.unregister("__b")
    n += batch.height
wall, cpu = time.perf_counter() - t, time.process_time() - c
con.execute("rollback")
print(wall, __PEAK__, n, cpu)
"""

DERIVE = """
import cohort, resource, sys, time
t, c = time.perf_counter(), time.process_time()
n = cohort.Registry(sys.argv[1]).derive()
print(time.perf_counter() - t, __PEAK__, n, time.process_time() - c)
"""


SCAN = SCAN.replace("__PEAK__", PEAK)
COPY = COPY.replace("__PEAK__", PEAK)
DERIVE = DERIVE.replace("__PEAK__", PEAK)
POLARS = POLARS.replace("__PEAK__", PEAK)

def run(code: str, db: Path, tree: Path | None = None) -> tuple[float, float, int, float]:
    out = run_child(code, db, tree=tree)
    return float(out[0]), int(out[1]) / 1024, int(out[2]), float(out[3])  # s, MB, rows, CPU s


def main() -> None:
    args = options(__doc__, n=10_000_000, repeat=3,
                   extra=[("--polars", "also time the derivation before issue 16 (polars, "
                           "batches, Arrow)"),
                          ("--no-copy", "leave out the copy baseline")],
                   baseline=True, db=True)
    import cohort

    work = work_dir(args)
    if args.db is not None:  # an existing registry (written to: pass a copy)
        db = args.db
    else:
        csv = synth_csv(work, args.n)
        db = work / f"derive_{args.n}.duckdb"
        if not db.exists():
            cohort.Registry(db).load(csv, derive=False)
    steps = [("scan", SCAN, None)]
    if not args.no_copy:
        steps.append(("copy", COPY, None))
    steps.append(("derive", DERIVE, None))
    if args.baseline:
        tree, short = baseline_tree(work, args.baseline)
        steps.append((f"baseline {short}", DERIVE, tree))
    if args.polars:
        steps.append(("polars", POLARS, None))
    results = {name: [] for name, _, _ in steps}
    for i in range(args.repeat):
        for name, code, tree in steps:
            results[name].append(run(code, db, tree))
        print(f"run {i + 1}: " + " | ".join(
            f"{k} {v[-1][0]:.1f} s (cpu {v[-1][3]:.1f} s) {v[-1][1]:.0f} MB"
            for k, v in results.items()), flush=True)
    med = {k: statistics.median(x[0] for x in v) for k, v in results.items()}
    cpu = {k: statistics.median(x[3] for x in v) for k, v in results.items()}
    print(json.dumps({
        "records": results["derive"][-1][2],
        "median_s": {k: round(v, 2) for k, v in med.items()},
        "cpu_median_s": {k: round(v, 2) for k, v in cpu.items()},
        "ratio_to_scan": {k: round(v / med["scan"], 2) for k, v in med.items()},
        "cpu_ratio_to_scan": {k: round(v / cpu["scan"], 2) for k, v in cpu.items()},
        "peak_mb": {k: round(max(x[1] for x in v)) for k, v in results.items()},
        **({"polars_median_s": round(med["polars"], 2),
            "derive_speedup_over_polars": round(med["polars"] / med["derive"], 2),
            "polars_peak_mb": round(max(x[1] for x in results["polars"]))}
           if args.polars else {}),
        "load_average": [round(x, 2) for x in shutil.os.getloadavg()],
        "machine": f"{platform.machine()}, python {platform.python_version()}, "
                   f"{shutil.os.cpu_count()} cores",
    }, indent=2))


if __name__ == "__main__":
    main()
