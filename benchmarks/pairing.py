"""Benchmark: ``cases`` read in parallel pieces against one positional scan (issue 16).

``cases`` pairs raw_cases with case_derived by position. DuckDB runs a positional
scan on one thread, so a large registry's view is a union of positional scans
over ranges of rows, run in parallel (``cohort.registry.pairing_sql``). This
copies a registry twice, pairs one copy as one scan (the view before the change)
and the other in pieces, then times, alternating, whole ``cohort cox`` and
``cohort km`` processes (the peers benchmark's analyses) and, in one process, the
Cox collapse query alone. Prints medians and ratios.

    python benchmarks/pairing.py --db /data/registry_10000000.duckdb --repeat 5
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import options, work_dir

WHERE = "site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3')"
COMMANDS = {
    "cox": ["cox", "--where", WHERE, "--terms", "node_burden,age_at_dx"],
    "km": ["km", "--where", WHERE, "--by", "node_burden"],
}
PAIR = """
import sys, duckdb
import cohort
from cohort import registry
cohort.Registry(sys.argv[1]).upgrade()  # this version's views, so no command redoes them
if sys.argv[2] == "one":
    registry.PIECE_ROWS = 10 ** 15  # never split: one positional scan
con = duckdb.connect(sys.argv[1])
registry.pair_cases(con)
print(con.execute("select sql from duckdb_views() where view_name = 'case_pairs'")
      .fetchone()[0].upper().count("POSITIONAL JOIN"))
con.close()
"""
COLLAPSE = (
    "select surv_months::double + 0.5 as time, event, node_burden, age_at_dx, count(*) as n "
    f"from cases where {WHERE} and exclusion_reason is null group by all"
)


def main() -> None:
    args = options(__doc__, n=0, repeat=5, db=True)
    if not args.db:
        sys.exit("give a derived registry with --db")
    work = work_dir(args)
    import duckdb

    copies, scans = {}, {}
    for kind in ("one", "pieces"):
        copies[kind] = work / f"pairing_{kind}.duckdb"
        shutil.copy(args.db, copies[kind])
        out = subprocess.run([sys.executable, "-c", PAIR, str(copies[kind]), kind],
                             capture_output=True, text=True, check=True)
        scans[kind] = int(out.stdout.split()[-1])
    exe = Path(sys.executable).with_name("cohort")
    base = [str(exe)] if exe.exists() else [sys.executable, "-m", "cohort"]
    times = {(task, kind): [] for task in COMMANDS for kind in copies}
    times |= {("collapse", kind): [] for kind in copies}
    for i in range(args.repeat):
        order = list(copies) if i % 2 == 0 else list(copies)[::-1]
        for task, cmd in COMMANDS.items():
            for kind in order:
                t = time.perf_counter()
                subprocess.run([*base, *cmd, "--db", str(copies[kind])], check=True,
                               capture_output=True)
                times[(task, kind)].append(time.perf_counter() - t)
        for kind in order:
            con = duckdb.connect(str(copies[kind]), read_only=True)
            t = time.perf_counter()
            con.execute(COLLAPSE).fetchall()
            times[("collapse", kind)].append(time.perf_counter() - t)
            con.close()
    result = {"registry": str(args.db), "positional_scans": scans, "rounds": args.repeat}
    for task in ("cox", "km", "collapse"):
        one, pieces = times[(task, "one")], times[(task, "pieces")]
        result[task] = {
            "one_scan_median_s": round(statistics.median(one), 3),
            "pieces_median_s": round(statistics.median(pieces), 3),
            "ratio_median": round(statistics.median(a / b for a, b in
                                                    zip(one, pieces, strict=True)), 2),
        }
    result["machine"] = (f"{platform.machine()}, {os.cpu_count()} CPUs, python "
                         f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    print(json.dumps(result, indent=2))
    for f in copies.values():
        f.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
