"""Benchmark: the exact Cox fit costs per collapsed cell, not per record (issue 16, item 3).

Two models of breast cancer: the default report's (node_burden + age_at_dx + sex,
strata dx_year_group) and issue 16's (node_burden + age_at_dx, unstratified: more
tied deaths per time), each collapsed from the 1M- and 10M-record registries. A
30M-record table is built from the 10M one with numpy, two ways: the same cells with
every count x3 ("30M x3"), and the same plus new cells (15% of the rows drawn at
random, moved to a random time, 1-3 records each, collapsed again: "30M + new
cells"; the issue measured 15% more cells at 30M on real data).

On each table the fit of the baseline revision of ``cohort/survival/efron.py`` (read
with ``git show``; its Efron sums run over every tied death) and of the working tree
(O(1) per distinct time) are timed in the same run, every round visiting every table
and both fits in turn; medians (minima too for the growth), ratios, and the growth
10M -> 30M against the growth in collapsed rows. The coefficients of both must agree
to 1e-10. Concordance is timed the same way (baseline: a mask per distinct time,
across strata; new: within strata, the dense grid the table takes and the general
wavelet-matrix path forced).

    python benchmarks/efron.py                      # the shared /work/benchdata registries
    python benchmarks/efron.py --db10 r10.duckdb --db1 r1.duckdb --repeat 5 --baseline main
"""

from __future__ import annotations

import os

# one BLAS thread: on a shared 2-core machine OpenBLAS threads fight other processes and
# a 100,000 x 4 product varies 10x from call to call; both fits get the same setting
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import importlib.util
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

import cohort
import cohort.survival.concordance as C
from cohort.survival.concordance import concordance, linear_predictor
from cohort.survival.efron import fit_efron

ROOT = Path(__file__).resolve().parent.parent
WHERE = "site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3')"
#: model -> collapse columns (the last is the stratum, or None)
MODELS = {
    "report: node_burden + age + sex, strata(year group)":
        (["node_burden", "age_at_dx", "sex", "dx_year_group"], "dx_year_group"),
    "issue 16: node_burden + age": (["node_burden", "age_at_dx"], None),
}


def baseline_module(rev: str, name: str, path: str):
    """A module of the repository at ``rev`` (git show), imported under a private name."""
    src = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    tmp = Path(tempfile.mkdtemp(prefix="cohort-baseline-")) / f"{name}.py"
    tmp.write_text(src)
    spec = importlib.util.spec_from_file_location(name, tmp)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def collapse(db: Path, work: Path, columns: list[str]) -> pl.DataFrame:
    """The model's collapsed table, from a copy of the database (opening may upgrade views)."""
    copy = work / db.name
    if not copy.exists():
        shutil.copy(db, copy)
    counts = cohort.Registry(copy).cohort(WHERE).collapse(columns).counts
    return counts.drop_nulls(columns)


def grow(t10: pl.DataFrame, extra: float, seed: int = 30) -> pl.DataFrame:
    """The 10M table with counts x3, plus new cells: ``extra`` x its rows drawn at random
    and moved to a random follow-up time, 1-3 records each (rare combinations that a
    larger registry fills in), collapsed again."""
    t30 = t10.with_columns(pl.col("n") * 3)
    if extra:
        rng = np.random.default_rng(seed)
        k = int(extra * t10.height)
        new = t10.sample(n=k, seed=seed).with_columns(
            time=pl.Series(rng.integers(0, int(t10["time"].max()) + 1, k)).cast(
                t10["time"].dtype),
            n=pl.Series(rng.integers(1, 4, k)),
        )
        keys = [c for c in t10.columns if c != "n"]
        t30 = pl.concat([t30, new]).group_by(keys).agg(pl.col("n").sum()).sort(keys)
    return t30


def arrays(t: pl.DataFrame, stratum: str | None):
    nb = t["node_burden"]
    cols = [nb == "N1", nb == "N2", nb == "N3", t["age_at_dx"]]
    if "sex" in t.columns:
        cols.append(t["sex"] == "2")
    x = np.column_stack(cols).astype(float)
    strata = None
    if stratum:
        strata = np.unique(t[stratum].to_numpy(), return_inverse=True)[1].ravel()
    return (x, t["time"].to_numpy().astype(float), t["event"].to_numpy(),
            t["n"].to_numpy().astype(float), strata)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def race(fns: dict, repeat: int) -> dict:
    """``{key: (median seconds, min seconds, last result)}``: every round runs every
    function once, in turn, so a burst of load on the shared machine hits them alike."""
    times = {k: [] for k in fns}
    out = {}
    for _ in range(repeat):
        for k, fn in fns.items():
            dt, out[k] = timed(fn)
            times[k].append(dt)
    return {k: (statistics.median(v), min(v), out[k]) for k, v in times.items()}


def run_model(tables: dict, stratum, old_efron, old_cox, repeat: int) -> None:
    data = {name: arrays(t, stratum) for name, t in tables.items()}
    fns = {}
    for name, (x, tm, ev, n, strata) in data.items():
        fns[name, "old"] = lambda x=x, tm=tm, ev=ev, n=n, s=strata: old_efron.fit_efron(
            x, tm, ev, n, s)
        fns[name, "new"] = lambda x=x, tm=tm, ev=ev, n=n, s=strata: fit_efron(x, tm, ev, n, s)
    res = race(fns, repeat)

    print("| table | records | deaths | collapsed rows | event times | max D | iterations | "
          "baseline fit | new fit | baseline / new | new per iteration | max rel diff beta |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    fit_time = {}
    for name, (_x, tm, ev, n, strata) in data.items():
        (t_old, m_old, f_old), (t_new, m_new, f_new) = res[name, "old"], res[name, "new"]
        diff = float(np.max(np.abs(f_new.beta / f_old.beta - 1)))
        assert diff < 1e-10, (name, diff)
        s = np.zeros(tm.size) if strata is None else strata
        keys, inv = np.unique(np.column_stack([s, tm])[ev == 1], axis=0, return_inverse=True)
        dmax = int(np.bincount(inv.ravel(), n[ev == 1]).max())
        fit_time[name] = (t_old, t_new, m_old, m_new, tables[name].height)
        print(f"| {name} | {int(n.sum()):,} | {int((n * ev).sum()):,} | "
              f"{tables[name].height:,} | {keys.shape[0]:,} | {dmax:,} | {f_new.iterations} | "
              f"{t_old:.3f} s | {t_new:.3f} s | {t_old / t_new:.1f} | "
              f"{t_new / (f_new.iterations + 1):.4f} s | {diff:.1e} |", flush=True)

    print("\ngrowth of the fit time (medians; minima in brackets) against the growth in "
          "collapsed rows:\n")
    print("| from -> to | rows | baseline fit | new fit |")
    print("|---|---|---|---|")
    for a, b in (("1M", "10M"), ("10M", "30M x3"), ("10M", "30M + new cells")):
        oa, na, moa, mna, ra = fit_time[a]
        ob, nb, mob, mnb, rb = fit_time[b]
        print(f"| {a} -> {b} | x{rb / ra:.2f} | x{ob / oa:.2f} (x{mob / moa:.2f}) | "
              f"x{nb / na:.2f} (x{mnb / mna:.2f}) |")

    print("\nconcordance (baseline: a mask per time, across strata; new: within strata, "
          "with its variance; grid = the dense path the table takes, wavelet = the general "
          "O(N log K) path forced)\n")
    fns = {}
    for name, (x, tm, ev, n, strata) in data.items():
        beta = fit_efron(x, tm, ev, n, strata).beta
        risk, pattern = linear_predictor(x, beta)
        old_risk = x @ beta  # the baseline's score: a BLAS product per row

        def new(tm=tm, ev=ev, r=risk, n=n, s=strata, p=pattern, wavelet=False):
            saved = C._GRID_CELLS_PER_ROW, C._GRID_BASE_CELLS
            if wavelet:
                C._GRID_CELLS_PER_ROW, C._GRID_BASE_CELLS = 0, 0
            try:
                return concordance(tm, ev, r, weight=n, strata=s, pattern=p)
            finally:
                C._GRID_CELLS_PER_ROW, C._GRID_BASE_CELLS = saved

        fns[name, "old"] = lambda tm=tm, ev=ev, r=old_risk, n=n: old_cox.concordance(
            tm, ev, r, n)
        fns[name, "new"] = new
        fns[name, "wavelet"] = lambda new=new: new(wavelet=True)
    res = race(fns, max(1, repeat // 2))
    print("| table | baseline | new (grid) | new (wavelet) | baseline / new | C (new) | "
          "C (baseline) |")
    print("|---|---|---|---|---|---|---|")
    for name in data:
        (t_old, _, c_old), (t_new, _, c_new) = res[name, "old"], res[name, "new"]
        t_wav, _, c_wav = res[name, "wavelet"]
        assert c_wav.c == c_new.c
        print(f"| {name} | {t_old:.3f} s | {t_new:.3f} s | {t_wav:.3f} s | "
              f"{t_old / t_new:.1f} | {c_new.c:.6f} | {c_old[0]:.6f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db1", type=Path, default=Path("/work/benchdata/registry_1000000.duckdb"))
    ap.add_argument("--db10", type=Path,
                    default=Path("/work/benchdata/registry_10000000.duckdb"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline", default="6435ab3",
                    help="git revision of the baseline efron.py / cox.py (default: main "
                    "before issue 16 item 3)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cohort-bench-efron-"))
    old_efron = baseline_module(args.baseline, "_efron_baseline", "cohort/survival/efron.py")
    old_cox = baseline_module(args.baseline, "_cox_baseline", "cohort/survival/cox.py")
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}, python "
          f"{sys.version.split()[0]}, numpy {np.__version__}; baseline {args.baseline}; "
          f"{args.repeat} alternating rounds, medians", flush=True)

    for model, (columns, stratum) in MODELS.items():
        t10 = collapse(args.db10, work, columns)
        tables = {"1M": collapse(args.db1, work, columns), "10M": t10,
                  "30M x3": grow(t10, 0.0), "30M + new cells": grow(t10, 0.15)}
        print(f"\n### {model}\n")
        run_model(tables, stratum, old_efron, old_cox, args.repeat)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
