"""Benchmark: cohort against its peers, whole processes, on the same records (issue 16).

Two analyses of breast cancer by lymph-node burden (N0-N3, eligible records):

* Cox: ``node_burden + age_at_dx``, Efron ties;
* Kaplan-Meier by ``node_burden`` and the log-rank test.

``cohort km`` / ``cohort cox`` read the registry database. Every peer gets the same
records as a CSV file (time = ``surv_months``, event, node_burden, age_at_dx) and
reads it itself with its fastest reader, so every time below is a whole process,
start to answer:

* R ``survival`` (Debian's ``Rscript``; ``data.table::fread``), ``coxph`` / ``survfit``
  + ``survdiff``;
* the Rust ``survival`` package from PyPI (``coxph_fit``, ``survfitkm``, ``survdiff``;
  ``pyarrow.csv``);
* lifelines (``CoxPHFitter``, ``KaplanMeierFitter`` + ``multivariate_logrank_test``;
  ``pandas.read_csv(engine="pyarrow")``);
* scikit-survival (``CoxPHSurvivalAnalysis(ties="efron")``,
  ``kaplan_meier_estimator`` + ``compare_survival``).

Each Python peer is installed into its own virtualenv under the cache folder (first
run only; pinned versions below). Every tool runs once untimed (file caches), then
``--rounds`` rounds, each visiting every tool in turn, the order reversed every
other round; the figures are medians. Wall time, CPU time (user + system) and peak
memory come from ``/usr/bin/time`` around each process. After timing, every peer's
coefficients, survival curves and log-rank statistic are compared with cohort's
(the library, ``convention="exact"``: the peers take ``surv_months`` as the exit
time; the hazard ratios do not depend on the convention).

    python benchmarks/peers.py --db /data/registry_1000000.duckdb \
                               --db /data/registry_10000000.duckdb

The databases are copied into the cache folder first (a database written by another
version of cohort gets its views upgraded on first use, which writes; one derived by an
older cohort is derived again, so that ``cases`` pairs its records by position).
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
from pathlib import Path

WHERE = "site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3')"
LEVELS = ("N0", "N1", "N2", "N3")
TERMS = ("node_burden", "age_at_dx")

#: the peers' Python packages (each in its own virtualenv), pinned
VENVS = {
    "rust-survival": ["survival==2.0.0", "pyarrow==26.0.1"],
    "lifelines": ["lifelines==0.30.3", "pyarrow==26.0.1"],
    "scikit-survival": ["scikit-survival==0.28.0", "pyarrow==26.0.1"],
}

RUST = r"""
import json, sys
import numpy as np
import pyarrow.csv as pv
from survival.regression import coxph_fit
from survival.surv_analysis import survdiff, survfitkm

task, path, out = sys.argv[1:4]
t = pv.read_csv(path)
time = t.column("time").to_numpy().astype(float)
event = t.column("event").to_numpy().astype(float)
burden = t.column("node_burden").to_numpy(zero_copy_only=False)
levels = ["N0", "N1", "N2", "N3"]
group = np.searchsorted(levels, burden)
if task == "cox":
    age = t.column("age_at_dx").to_numpy().astype(float)
    x = np.column_stack([group == 1, group == 2, group == 3, age]).astype(float)
    fit = coxph_fit(time, event, x, method="efron")
    result = {"coef": list(fit.coefficients)}
else:
    km = survfitkm(time, event, strata=group, conf_type="log-log")
    lr = survdiff(time, event, group)
    ends = np.cumsum(km.strata)
    t_all, s_all = np.asarray(km.time), np.asarray(km.surv)
    curves = {levels[g]: {"time": t_all[a:b].tolist(), "surv": s_all[a:b].tolist()}
              for g, (a, b) in enumerate(zip(np.r_[0, ends[:-1]], ends))}
    result = {"curves": curves, "chisq": lr.chisq}
json.dump(result, open(out, "w"))
"""

LIFELINES = r"""
import json, sys
import pandas as pd
task, path, out = sys.argv[1:4]
d = pd.read_csv(path, engine="pyarrow")
if task == "cox":
    from lifelines import CoxPHFitter
    x = pd.get_dummies(pd.Categorical(d["node_burden"], ["N0", "N1", "N2", "N3"]),
                       prefix="nb", drop_first=True, dtype=float)
    frame = pd.concat([x, d[["age_at_dx", "time", "event"]]], axis=1)
    fit = CoxPHFitter().fit(frame, "time", "event")
    result = {"coef": fit.params_[["nb_N1", "nb_N2", "nb_N3", "age_at_dx"]].tolist()}
else:
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test
    curves = {}
    for level, g in d.groupby("node_burden"):
        km = KaplanMeierFitter().fit(g["time"], g["event"])
        s = km.survival_function_.iloc[:, 0]  # (with a time-0 row of its own)
        curves[level] = {"time": s.index.tolist(), "surv": s.tolist()}
    lr = multivariate_logrank_test(d["time"], d["node_burden"], d["event"])
    result = {"curves": curves, "chisq": float(lr.test_statistic)}
json.dump(result, open(out, "w"))
"""

SKSURV = r"""
import json, sys
import numpy as np
import pandas as pd
from sksurv.util import Surv
task, path, out = sys.argv[1:4]
d = pd.read_csv(path, engine="pyarrow")
y = Surv.from_arrays(d["event"].to_numpy().astype(bool), d["time"].to_numpy().astype(float))
if task == "cox":
    from sksurv.linear_model import CoxPHSurvivalAnalysis
    x = pd.get_dummies(pd.Categorical(d["node_burden"], ["N0", "N1", "N2", "N3"]),
                       prefix="nb", drop_first=True, dtype=float)
    x["age_at_dx"] = d["age_at_dx"].astype(float)
    fit = CoxPHSurvivalAnalysis(ties="efron").fit(x, y)
    result = {"coef": fit.coef_.tolist()}
else:
    from sksurv.compare import compare_survival
    from sksurv.nonparametric import kaplan_meier_estimator
    curves = {}
    for level in ["N0", "N1", "N2", "N3"]:
        m = (d["node_burden"] == level).to_numpy()
        t, s = kaplan_meier_estimator(y["event"][m], y["time"][m])
        curves[level] = {"time": t.tolist(), "surv": s.tolist()}
    chisq, _ = compare_survival(y, d["node_burden"].to_numpy())
    result = {"curves": curves, "chisq": float(chisq)}
json.dump(result, open(out, "w"))
"""

R_SCRIPT = r"""
suppressMessages({library(survival); library(data.table)})
a <- commandArgs(TRUE)
d <- fread(a[2])
d[, node_burden := factor(node_burden, levels = c("N0", "N1", "N2", "N3"))]
num <- function(v) paste(sprintf("%.17g", v), collapse = ",")
if (a[1] == "cox") {
  f <- coxph(Surv(time, event) ~ node_burden + age_at_dx, data = d, ties = "efron")
  out <- sprintf('{"coef": [%s]}', num(coef(f)))
} else {
  s <- survfit(Surv(time, event) ~ node_burden, data = d, conf.type = "log-log")
  lr <- survdiff(Surv(time, event) ~ node_burden, data = d)
  ends <- cumsum(s$strata)
  starts <- c(1, head(ends, -1) + 1)
  curves <- sapply(seq_along(ends), function(i) {
    k <- starts[i]:ends[i]
    sprintf('"%s": {"time": [%s], "surv": [%s]}', sub("node_burden=", "", names(s$strata)[i]),
            num(s$time[k]), num(s$surv[k]))
  })
  out <- sprintf('{"curves": {%s}, "chisq": %.17g}', paste(curves, collapse = ","), lr$chisq)
}
writeLines(out, a[3])
"""


def ensure_venv(cache: Path, name: str) -> Path:
    """The peer's virtualenv (created and filled on first use); its python."""
    venv = cache / f"venv-{name}"
    python = venv / "bin" / "python"
    marker = venv / "installed.json"
    wanted = json.dumps(VENVS[name])
    if marker.exists() and marker.read_text() == wanted:
        return python
    print(f"installing {name} into {venv} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *VENVS[name]], check=True)
    marker.write_text(wanted)
    return python


def copy_database(src: Path, cache: Path) -> Path:
    """A copy of the registry with this version's views (a registry written by
    another version is read through temporary views rebuilt by every command,
    which would be timed), derived again when its records are not in step (a
    registry derived by an older cohort pairs records by key, slower)."""
    import duckdb

    import cohort
    from cohort.registry import IN_STEP, sql_version

    dst = cache / src.name
    if not dst.exists() or dst.stat().st_mtime < src.stat().st_mtime:
        shutil.copyfile(src, dst)
    con = duckdb.connect(str(dst), read_only=True)
    in_step = con.execute(IN_STEP).fetchone()[0]
    version = con.execute("select value from cohort_meta where key = 'sql_version'").fetchall()
    con.close()
    if not in_step:
        print(f"{dst}: deriving again (records not in step)", flush=True)
        cohort.Registry(dst).derive()
    elif version != [(sql_version(),)]:
        print(f"{dst}: upgrading its views to this version", flush=True)
        cohort.Registry(dst).upgrade()
    return dst


def export_records(db: Path, cache: Path) -> tuple[Path, int]:
    """The cohort's eligible records as the peers' CSV (once per database)."""
    import duckdb

    csv = cache / f"{db.stem}_records.csv"
    con = duckdb.connect(str(db), read_only=True)
    if not csv.exists():
        con.execute(
            "copy (select surv_months as time, event, node_burden::varchar as node_burden, "
            f"age_at_dx from cases where {WHERE} and exclusion_reason is null "
            "and surv_months is not null and event is not null and age_at_dx is not null) "
            f"to '{csv}' (header)"
        )
    n = con.execute(
        f"select count(*) from cases where {WHERE} and exclusion_reason is null").fetchone()[0]
    con.close()
    return csv, n


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak memory (MB) of a process."""
    out = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", *cmd], capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    wall, user, system, peak = out.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(peak) / 1024


def commands(tool: str, task: str, db: Path, csv: Path, out: Path, cache: Path,
             pythons: dict) -> list[str]:
    if tool == "cohort":
        exe = Path(sys.executable).with_name("cohort")
        base = [str(exe)] if exe.exists() else [sys.executable, "-m", "cohort"]
        if task == "cox":
            return [*base, "cox", "--where", WHERE, "--terms", ",".join(TERMS), "--db", str(db)]
        return [*base, "km", "--where", WHERE, "--by", "node_burden", "--db", str(db)]
    if tool == "R":
        script = cache / "peer.R"
        script.write_text(R_SCRIPT)
        return ["Rscript", str(script), task, str(csv), str(out)]
    code = {"rust-survival": RUST, "lifelines": LIFELINES, "scikit-survival": SKSURV}[tool]
    script = cache / f"peer_{tool}.py"
    script.write_text(code)
    return [str(pythons[tool]), str(script), task, str(csv), str(out)]


def reference(db: Path) -> dict:
    """cohort's own answers (library, exact convention) for the agreement check."""
    import warnings

    import cohort

    warnings.simplefilter("ignore")
    c = cohort.Registry(db).cohort(WHERE)
    cox = c.cox(list(TERMS), univariable=False, convention="exact")
    t = cox.table_.filter(~cox.table_["reference"])
    km = c.km(by="node_burden", convention="exact")
    curves = {g: {"time": k.time.tolist(), "surv": k.survival.tolist()}
              for g, k in km.km_.groups_.items()}
    chisq = km.tests_.filter(km.tests_["test"] == "log-rank")["chisq"].item()
    return {"coef": t["coef_adjusted"].to_list(), "curves": curves, "chisq": chisq}


def agreement(task: str, ours: dict, theirs: dict) -> dict:
    """Largest differences between a peer's answer and cohort's."""
    import numpy as np

    if task == "cox":
        a, b = np.array(ours["coef"]), np.array(theirs["coef"])
        return {"coef_abs": float(np.max(np.abs(a - b))),
                "coef_rel": float(np.max(np.abs(a - b) / np.abs(a)))}
    worst, times = 0.0, True
    for g, mine in ours["curves"].items():
        other = theirs["curves"][g]
        t_mine, s_mine = np.array(mine["time"]), np.array(mine["surv"])
        t_other, s_other = np.array(other["time"]), np.array(other["surv"])
        times &= t_other.size == t_mine.size and bool(np.all(t_other == t_mine))
        at = np.searchsorted(t_other, t_mine, side="right") - 1  # their curve at our times
        s_at = np.where(at >= 0, s_other[np.maximum(at, 0)], 1.0)
        worst = max(worst, float(np.max(np.abs(s_at - s_mine))))
    return {"surv_abs": worst, "same_times": times,
            "chisq_rel": abs(theirs["chisq"] - ours["chisq"]) / ours["chisq"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, action="append", required=True,
                    help="a registry database (repeat for several sizes)")
    ap.add_argument("--cache", type=Path,
                    default=Path(tempfile.gettempdir()) / "cohort-bench-peers",
                    help="folder for the peers' virtualenvs, database copies and CSVs")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tools", default="cohort,R,rust-survival,lifelines,scikit-survival")
    ap.add_argument("--tasks", default="cox,km")
    ap.add_argument("--skip", default="",
                    help="tool:task:db-stem triples to skip, "
                    "e.g. scikit-survival:cox:registry_10000000")
    args = ap.parse_args()
    cache = args.cache
    cache.mkdir(parents=True, exist_ok=True)
    tools = args.tools.split(",")
    pythons = {t: ensure_venv(cache, t) for t in tools if t in VENVS}
    skip = set(filter(None, args.skip.split(",")))
    report = {"machine": machine(), "uptime_before": uptime(), "runs": []}
    for src in args.db:
        db = copy_database(src, cache)
        csv, records = export_records(db, cache)
        ref = reference(db)
        for task in args.tasks.split(","):
            todo = [t for t in tools if f"{t}:{task}:{db.stem}" not in skip]
            outs = {t: cache / f"out_{t}_{task}.json" for t in todo}
            cmds = {t: commands(t, task, db, csv, outs[t], cache, pythons) for t in todo}
            for t in todo:  # warm-up: file caches, compiled bytecode
                timed(cmds[t])
            runs = {t: [] for t in todo}
            for r in range(args.rounds):
                for t in (todo if r % 2 == 0 else todo[::-1]):
                    runs[t].append(timed(cmds[t]))
                    print(f"{db.stem} {task} round {r + 1} {t}: {runs[t][-1][0]:.2f} s "
                          f"(cpu {runs[t][-1][1]:.2f} s, {runs[t][-1][2]:.0f} MB)", flush=True)
            ours = statistics.median(x[0] for x in runs["cohort"]) if "cohort" in runs else None
            for t in todo:
                wall = statistics.median(x[0] for x in runs[t])
                row = {"db": db.stem, "records": records, "task": task, "tool": t,
                       "wall_median_s": round(wall, 3),
                       "cpu_median_s": round(statistics.median(x[1] for x in runs[t]), 3),
                       "peak_mb": round(max(x[2] for x in runs[t])),
                       "walls": [round(x[0], 3) for x in runs[t]]}
                if ours and t != "cohort":
                    row["peer_over_cohort"] = round(wall / ours, 2)
                if t != "cohort":
                    row["agreement"] = agreement(task, ref, json.loads(outs[t].read_text()))
                report["runs"].append(row)
                print(json.dumps(row), flush=True)
    report["uptime_after"] = uptime()
    (cache / "peers_results.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


def machine() -> str:
    import duckdb
    import polars

    return (f"{platform.machine()}, {os.cpu_count()} cores, "
            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB, "
            f"python {platform.python_version()}, duckdb {duckdb.__version__}, "
            f"polars {polars.__version__}")


def uptime() -> str:
    return time.strftime("%H:%M:%S ") + Path("/proc/loadavg").read_text().strip()


if __name__ == "__main__":
    main()
