"""Benchmark: Fine-Gray by node burden + age on a registry's breast cohort.

cohort's ``Cohort.finegray`` (univariable and adjusted models: three fits)
is timed end to end from the database (query, collapse, fits, robust
variances) on the 10-million-record registry, and on a smaller registry
against R's ``cmprsk::crr`` on the same records in the same run. crr's
variance is quadratic in the records (its Fortran loops over every pair), so
at 10 million records (2.3 million in the cohort) it cannot finish: it runs
on the smaller registry's cohort. crr is timed on the records already in R
(reading them is timed apart and counted for neither), once with its default
robust variance and once with ``variance = FALSE`` (the fit alone), and its
coefficients are compared with cohort's.

    python benchmarks/finegray.py --db /work/benchdata/registry_10000000.duckdb \\
        --crr-db /work/benchdata/registry_1000000.duckdb

The databases are copied into a temp folder first (opening may upgrade views).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import cohort

WHERE = "site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3')"
TERMS = ["node_burden", "age_at_dx"]

CRR = r"""
suppressPackageStartupMessages(library(cmprsk))
a <- commandArgs(TRUE)
t0 <- proc.time()[["elapsed"]]
d <- read.csv(a[1])
read_s <- proc.time()[["elapsed"]] - t0
st <- match(d$cause, c("alive", "cancer_death", "other_death")) - 1
X <- model.matrix(~ factor(node_burden, levels = c("N0", "N1", "N2", "N3")) + age_at_dx, d)[, -1]
t0 <- proc.time()[["elapsed"]]
f0 <- crr(d$time, st, X, variance = FALSE)
novar_s <- proc.time()[["elapsed"]] - t0
t0 <- proc.time()[["elapsed"]]
f <- crr(d$time, st, X)
crr_s <- proc.time()[["elapsed"]] - t0
cat(sprintf("RESULT %d %.3f %.3f %.3f %s %s\n", nrow(d), read_s, novar_s, crr_s,
            paste(sprintf("%.17g", f$coef), collapse = ","),
            paste(sprintf("%.17g", sqrt(diag(f$var))), collapse = ",")))
"""


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def copy_db(src: Path, work: Path) -> Path:
    dst = work / src.name
    shutil.copy(src, dst)
    reg = cohort.Registry(dst)
    with reg._write():  # refresh views of an older database
        pass
    return dst


def cohort_runs(db: Path, repeat: int, where: str = WHERE):
    c = cohort.Registry(db).cohort(where)
    times, res = [], None
    for _ in range(repeat):
        dt, res = timed(lambda: c.finegray(TERMS))
        times.append(dt)
    return times, res


def cli_run(db: Path) -> float:
    """A fresh process: imports, query, collapse, three fits, printing."""
    exe = Path(sys.executable).with_name("cohort")
    t = time.perf_counter()
    subprocess.run([str(exe), "finegray", "--db", str(db), "--where", WHERE, "--terms",
                    ",".join(TERMS)], check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="the large registry (10M)")
    ap.add_argument("--crr-db", type=Path, required=True,
                    help="the registry whose breast cohort crr is run on (1M)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-crr", action="store_true")
    ap.add_argument("--skip-big", action="store_true", help="skip the 10M registry part")
    ap.add_argument("--crr-every", type=int, default=1,
                    help="compare with crr on every k-th record of the cohort only "
                    "(record_no %% k = 0), when the whole cohort would take crr hours")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    work = Path(tempfile.mkdtemp(prefix="cohort-bench-fg-"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}; python {platform.python_version()}", flush=True)

    out = {}
    if not args.skip_big:
        big = copy_db(args.db, work)
        big_times, big_res = cohort_runs(big, args.repeat)
        cli_s = cli_run(big)
        print(f"10M registry: {big_res.records:,} records, {big_res.collapsed_rows:,} "
              f"collapsed rows; cohort finegray (3 fits) median "
              f"{statistics.median(big_times):.2f} s (runs "
              f"{', '.join(f'{t:.2f}' for t in big_times)}); CLI in a new process "
              f"{cli_s:.2f} s", flush=True)
        out |= {"big_records": big_res.records, "big_rows": big_res.collapsed_rows,
                "big_median_s": statistics.median(big_times), "big_runs_s": big_times,
                "cli_s": cli_s}

    where = WHERE if args.crr_every == 1 else f"{WHERE} and record_no % {args.crr_every} = 0"
    small = copy_db(args.crr_db, work)
    small_times, small_res = cohort_runs(small, args.repeat, where)
    adjusted = small_res.models_["adjusted"].fit
    print(f"crr registry: {small_res.records:,} records, {small_res.collapsed_rows:,} collapsed "
          f"rows; cohort finegray median {statistics.median(small_times):.2f} s", flush=True)
    out |= {"small_where": where, "small_records": small_res.records,
            "small_median_s": statistics.median(small_times), "small_runs_s": small_times}
    if not args.skip_crr and shutil.which("Rscript"):
        csv = work / "records.csv"
        reg = cohort.Registry(small)
        # the follow-up convention: the estimator takes the collapse's time as given
        col = reg.cohort(where).collapse([])
        months = reg.sql(f"select min(surv_months) as m from cases where {where} and "
                         "exclusion_reason is null")["m"].item()
        offset = float(col.counts["time"].min()) - float(months)
        export_s, df = timed(lambda: reg.sql(
            f"select surv_months + {offset} as time, cause::varchar as cause, "
            "node_burden::varchar as node_burden, age_at_dx from cases where "
            f"{where} and exclusion_reason is null and cause is not null and "
            "surv_months is not null and age_at_dx is not null"))
        df.write_csv(csv)
        script = work / "crr.R"
        script.write_text(CRR)
        print(f"running crr on {df.height:,} records (slow: quadratic variance)...", flush=True)
        r = subprocess.run(["Rscript", str(script), str(csv)], check=True, capture_output=True,
                           text=True)
        line = next(x for x in r.stdout.splitlines() if x.startswith("RESULT"))
        _, n, read_s, novar_s, crr_s, coef, se = line.split()
        coef = np.array([float(x) for x in coef.split(",")])
        se = np.array([float(x) for x in se.split(",")])
        cohort_s = statistics.median(small_times)
        out |= {"crr_records": int(n), "crr_read_s": float(read_s),
                "crr_novariance_s": float(novar_s), "crr_s": float(crr_s),
                "ratio_crr": float(crr_s) / cohort_s,
                "ratio_crr_novariance": float(novar_s) / cohort_s,
                "max_coef_diff": float(np.abs(coef - adjusted.beta).max()),
                "max_se_diff": float(np.abs(se - adjusted.se).max())}
        print(f"crr on {int(n):,} records: {float(crr_s):.1f} s with its robust variance "
              f"({out['ratio_crr']:.0f}x cohort), {float(novar_s):.1f} s without "
              f"({out['ratio_crr_novariance']:.0f}x); R read the CSV in {float(read_s):.1f} s. "
              f"Largest difference from cohort: coefficients {out['max_coef_diff']:.1e}, "
              f"SEs {out['max_se_diff']:.1e}", flush=True)
    print(json.dumps(out))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
