"""Benchmark: survival by node burden on a 10-million-case registry.

In one run, from the registry database: (1) Kaplan-Meier + log-rank (+ trend)
by node burden, (2) a Cox model node_burden + age_at_dx + sex +
dx_year_group — each with cohort's collapse-then-weight path, against
lifelines on the record-level rows, and against R's ``coxph`` on the same
rows when ``Rscript`` is installed. Times are end to end (query included)
for cohort; baselines are timed from rows already in memory (their reading
time is printed separately), which favours them.

    python benchmarks/survival.py --db /path/registry.duckdb   # or --n 10000000
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import cohort

WHERE = "site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3')"
TERMS = ["node_burden", "age_at_dx", "sex", "dx_year_group"]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-lifelines-cox", action="store_true",
                    help="skip the (slow) record-level lifelines Cox baseline")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cohort-bench-"))
    if args.db is None:
        args.db = work / "registry.duckdb"
        csv = cohort.synth.write(work / "synth.csv", n=args.n, seed=1)
        cohort.Registry(args.db).load(csv)
    reg = cohort.Registry(args.db)
    with reg._write():  # refresh views of an older database
        pass
    total = reg.sql("select count(*) as n from cases")["n"].item()
    c = reg.cohort(WHERE)
    warnings.simplefilter("ignore")

    km_times = [timed(lambda: c.km(by="node_burden"))[0] for _ in range(args.repeat)]
    cox_times = []
    for _ in range(args.repeat):
        dt, cx = timed(lambda: c.cox(TERMS, univariable=False))
        cox_times.append(dt)

    read_s, rows = timed(lambda: reg.sql(
        f"select surv_months as time, event, node_burden::varchar as node_burden, age_at_dx, "
        f"sex, dx_year_group from cases where {WHERE} and exclusion_reason is null"
    ).to_pandas())

    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    def lifelines_km():
        for _, g in rows.groupby("node_burden"):
            KaplanMeierFitter().fit(g["time"], g["event"])
        return multivariate_logrank_test(rows["time"], rows["node_burden"], rows["event"])

    ll_km = min(timed(lifelines_km)[0] for _ in range(args.repeat))
    result = {
        "cases_in_registry": total,
        "cohort_records": len(rows),
        "collapsed_rows_cox": cx.collapsed_rows,
        "cohort_km_logrank_median_s": round(float(np.median(km_times)), 2),
        "cohort_cox_median_s": round(float(np.median(cox_times)), 2),
        "baseline_read_rows_s": round(read_s, 2),
        "lifelines_rows_km_logrank_s": round(ll_km, 2),
    }
    design = pd.get_dummies(rows, columns=["node_burden", "sex", "dx_year_group"],
                            drop_first=True, dtype=float)
    if not args.skip_lifelines_cox:
        from lifelines import CoxPHFitter

        ll_cox, _ = timed(lambda: CoxPHFitter().fit(design, "time", "event"))
        result["lifelines_rows_cox_s"] = round(ll_cox, 2)
        result["speedup_vs_lifelines_cox"] = round(ll_cox / np.median(cox_times), 1)
    if shutil.which("Rscript"):
        csv = work / "rows.csv"
        rows.to_csv(csv, index=False)
        script = work / "cox.R"
        script.write_text(
            "suppressMessages(library(survival))\n"
            f"d <- read.csv('{csv}', colClasses = c(sex = 'character'))\n"
            "d$node_burden <- factor(d$node_burden, levels = c('N0','N1','N2','N3'))\n"
            "t <- system.time(f <- coxph(Surv(time, event) ~ node_burden + age_at_dx + sex + "
            "dx_year_group, data = d, ties = 'efron'))\n"
            "cat(t[['elapsed']], '\\n')\n"
            "cat(coef(f), '\\n')\n"
        )
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True,
                             check=True).stdout.split("\n")
        r_s = float(out[0])
        result["r_coxph_rows_s"] = round(r_s, 2)
        result["speedup_vs_r_coxph"] = round(r_s / np.median(cox_times), 1)
        r_coef = np.array([float(x) for x in out[1].split()])
        ours = cx.table_.filter(~cx.table_["reference"].to_numpy())["coef_adjusted"].to_numpy() \
            if hasattr(cx.table_, "filter") else None
        result["max_abs_coef_diff_vs_r"] = float(np.max(np.abs(ours - r_coef)))
    result["machine"] = f"{platform.machine()}, python {platform.python_version()}, " \
                        f"{shutil.os.cpu_count()} cores"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
