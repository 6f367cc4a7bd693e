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
coefficients are compared with cohort's. ``--crr-every k`` runs the crr
comparison on every k-th record of the cohort (crr's quadratic variance
needs hours on the whole cohort of a 1M registry); ``--crr-fit-only-big``
also times crr's fit alone (``variance = FALSE``, linear in the records) on
the 10M registry's cohort.

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
f <- f0
crr_s <- NA
if (is.na(a[2]) || a[2] != "fit-only") {
  t0 <- proc.time()[["elapsed"]]
  f <- crr(d$time, st, X)
  crr_s <- proc.time()[["elapsed"]] - t0
}
se <- if (is.null(f$var) || anyNA(f$var)) rep(NA, length(f$coef)) else sqrt(diag(f$var))
cat(sprintf("RESULT %d %.3f %.3f %.3f %s %s\n", nrow(d), read_s, novar_s, crr_s,
            paste(sprintf("%.17g", f0$coef), collapse = ","),
            paste(sprintf("%.17g", se), collapse = ",")))
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


def run_crr(db: Path, where: str, work: Path, *, fit_only: bool) -> dict:
    """crr in R on the cohort's records (exported here; not timed for either side)."""
    reg = cohort.Registry(db)
    # the follow-up convention: the estimator takes the collapse's time as given
    col = reg.cohort(where).collapse([])
    months = reg.sql(f"select min(surv_months) as m from cases where {where} and "
                     "exclusion_reason is null")["m"].item()
    offset = float(col.counts["time"].min()) - float(months)
    df = reg.sql(
        f"select surv_months + {offset} as time, cause::varchar as cause, "
        "node_burden::varchar as node_burden, age_at_dx from cases where "
        f"{where} and exclusion_reason is null and cause is not null and "
        "surv_months is not null and age_at_dx is not null")
    csv = work / "records.csv"
    df.write_csv(csv)
    script = work / "crr.R"
    script.write_text(CRR)
    what = "fit alone" if fit_only else "fit and quadratic variance: slow"
    print(f"running crr on {df.height:,} records ({what})...", flush=True)
    r = subprocess.run(["Rscript", str(script), str(csv), "fit-only" if fit_only else "full"],
                       check=True, capture_output=True, text=True)
    csv.unlink()
    line = next(x for x in r.stdout.splitlines() if x.startswith("RESULT"))
    _, n, read_s, novar_s, crr_s, coef, se = line.split()

    def num(x: str) -> float:
        return float("nan") if x == "NA" else float(x)

    return {"n": int(n), "read_s": num(read_s), "novar_s": num(novar_s), "crr_s": num(crr_s),
            "coef": np.array([num(x) for x in coef.split(",")]),
            "se": np.array([num(x) for x in se.split(",")])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="the large registry (10M)")
    ap.add_argument("--crr-db", type=Path, required=True,
                    help="the registry whose breast cohort crr is run on (1M)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-crr", action="store_true")
    ap.add_argument("--skip-big", action="store_true", help="skip the 10M registry part")
    ap.add_argument("--crr-fit-only-big", action="store_true",
                    help="also time crr(variance = FALSE), the fit alone, on the 10M cohort")
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
        res = run_crr(small, where, work, fit_only=False)
        cohort_s = statistics.median(small_times)
        out |= {"crr_records": res["n"], "crr_read_s": res["read_s"],
                "crr_novariance_s": res["novar_s"], "crr_s": res["crr_s"],
                "ratio_crr": res["crr_s"] / cohort_s,
                "ratio_crr_novariance": res["novar_s"] / cohort_s,
                "max_coef_diff": float(np.abs(res["coef"] - adjusted.beta).max()),
                "max_se_diff": float(np.abs(res["se"] - adjusted.se).max())}
        print(f"crr on {res['n']:,} records: {res['crr_s']:.1f} s with its robust variance "
              f"({out['ratio_crr']:.0f}x cohort), {res['novar_s']:.1f} s without "
              f"({out['ratio_crr_novariance']:.1f}x); R read the CSV in {res['read_s']:.1f} "
              f"s. Largest difference from cohort: coefficients {out['max_coef_diff']:.1e}, "
              f"SEs {out['max_se_diff']:.1e}", flush=True)
    if args.crr_fit_only_big and not args.skip_big and shutil.which("Rscript"):
        res = run_crr(big, WHERE, work, fit_only=True)
        beta = big_res.models_["adjusted"].fit.beta
        out |= {"big_crr_fit_only_s": res["novar_s"], "big_crr_read_s": res["read_s"],
                "big_ratio_fit_only": res["novar_s"] / statistics.median(big_times),
                "big_max_coef_diff": float(np.abs(res["coef"] - beta).max())}
        print(f"crr fit alone (variance = FALSE) on the {res['n']:,} records of the 10M "
              f"registry: {res['novar_s']:.1f} s ({out['big_ratio_fit_only']:.1f}x cohort's "
              f"whole analysis); R read the CSV in {res['read_s']:.1f} s; coefficients "
              f"differ from cohort's by {out['big_max_coef_diff']:.1e}", flush=True)
    print(json.dumps(out))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
