"""Benchmark: the default PDF report and net survival by node burden.

Times, from an existing registry database (e.g. 1 or 10 million synthetic
cases): (1) ``cohort report`` with the default specification, end to end;
(2) net survival (Pohar Perme) by node burden for every site group, i.e.
over all cases, and the same for one large site. Baseline for (2): the
Kaplan-Meier analysis of the same cohorts (the aggregation path without
life tables), in the same run.

    python benchmarks/report_netsurv.py --db /path/registry.duckdb
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
import warnings
from pathlib import Path

import cohort
from cohort.report import load_spec, write_report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    reg = cohort.Registry(args.db)
    with reg._write():  # refresh views of an older database
        pass
    n = reg.sql("select count(*) as n from cases")["n"].item()
    sites = reg.sql("select distinct site_group::varchar as s from cases")["s"].to_list()
    out = Path(tempfile.mkdtemp()) / "report.pdf"
    t = time.perf_counter()
    result = write_report(reg, load_spec(), out)
    report_s = time.perf_counter() - t
    t = time.perf_counter()
    for s in sites:
        reg.cohort("site_group = ?", params=[s]).net_survival(times=[12, 36, 60])
    net_all = time.perf_counter() - t
    t = time.perf_counter()
    for s in sites:
        reg.cohort("site_group = ?", params=[s]).km(times=[12, 36, 60])
    km_all = time.perf_counter() - t
    print(json.dumps({
        "cases": n, "report_s": round(report_s, 1), "report_pages": result.pages,
        "net_survival_all_sites_s": round(net_all, 2), "km_all_sites_s": round(km_all, 2),
        "machine": f"{platform.machine()}, python {platform.python_version()}",
    }, indent=2))


if __name__ == "__main__":
    main()
