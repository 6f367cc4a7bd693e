"""Benchmark: relative-survival analyses on a 10-million-case registry (issue 14).

In one run, from a copy of the registry database (the original is only read):
(1) Kaplan-Meier + log-rank by node burden — the baseline, the same cohort;
(2) excess hazard regression, node burden + age group + sex (Poisson model on
collapsed life-table intervals); (3) a period-analysis life table by node
burden (calendar window, left truncation; Ederer II and Pohar Perme). Each is
timed end to end (query, collapse, estimation), alternating, ``--repeat``
times; the medians (wall clock, and CPU seconds of all threads, which a busy
machine inflates less) and the ratios to the Kaplan-Meier are printed as JSON.

    python benchmarks/relsurv.py --db /work/benchdata/registry_10000000.duckdb
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import cohort

WHERE = "site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3')"
TERMS = ["node_burden", "age_group", "sex"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="registry database (read only)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--period", default=None,
                    help="calendar window (default: the last three complete years)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    work = Path(tempfile.mkdtemp(prefix="cohort-bench-"))
    db = work / "registry.duckdb"
    shutil.copy(args.db, db)  # a branch whose sql/ differs refreshes views on open
    reg = cohort.Registry(db)
    with reg._write():
        pass
    c = reg.cohort(WHERE)
    records = c.size
    last = reg.sql("select max(last_contact_year) as y from cases")["y"].item()
    period = args.period or f"{last - 4}-{last - 2}"
    steps = {
        "km": lambda: c.km(by="node_burden", times=[12, 36, 60]),
        "ehr": lambda: c.ehr(TERMS),
        "period_lifetable": lambda: c.period(period).lifetable(by="node_burden"),
    }
    times: dict[str, list[float]] = {k: [] for k in steps}
    cpu: dict[str, list[float]] = {k: [] for k in steps}
    out = {}
    for _ in range(args.repeat):
        for name, fn in steps.items():
            t, c0 = time.perf_counter(), time.process_time()
            out[name] = fn()
            times[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c0)
    med = {k: statistics.median(v) for k, v in times.items()}
    ehr, lt = out["ehr"], out["period_lifetable"]
    print(json.dumps({
        "records_in_cohort": records, "period": period,
        "ehr_cells": ehr.fit_["cells"][0], "lifetable_rows": lt.table_.height,
        "median_s": {k: round(v, 2) for k, v in med.items()},
        "median_cpu_s": {k: round(statistics.median(v), 2) for k, v in cpu.items()},
        "runs_s": {k: [round(x, 2) for x in v] for k, v in times.items()},
        "ratio_to_km": {k: round(v / med["km"], 2) for k, v in med.items() if k != "km"},
        "ehr_node_burden": {r["level"]: round(r["ehr"], 3) for r in ehr.table_.rows(named=True)
                            if r["term"] == "node_burden"},
        "machine": f"{platform.machine()}, python {platform.python_version()}",
    }, indent=2))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
