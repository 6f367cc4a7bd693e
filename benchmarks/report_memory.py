"""Benchmark: the default PDF report's peak memory, wall and CPU time against a
baseline revision, on registries of several sizes (issue 16, target 6).

``cohort report`` (the default specification, reports/node_burden.toml) runs
in its own process on a copy of each registry, alternating this tree and the
baseline (``--baseline``, default ``main``, extracted with ``git archive`` and
imported through PYTHONPATH) for ``--repeat`` rounds. For each run: the wall
time (measured here around the process), CPU seconds (user + system of the
process and its threads, from ``wait4``) and peak memory (the process's VmHWM,
read as it exits; ``common.py`` says why not ``ru_maxrss``). The two PDFs of
each registry are compared byte for byte: the report's numbers must not
change. Prints medians, ratios (this tree over the baseline, per round, then
their median) and the machine with its load average, and writes the JSON to
``<dir>/report_memory.json``.

    python benchmarks/report_memory.py --db /work/benchdata/registry_1000000.duckdb \\
        --db /work/bench10/r10.duckdb --repeat 3
    python benchmarks/report_memory.py --n 100000 --repeat 1   # a synthetic registry

Registries are copied into the work folder first (a command may upgrade an
older registry's views on open) and upgraded there by this tree.
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

from common import PEAK, baseline_tree

# one `cohort report` as the console script runs it; its peak (kB) to argv[1] at exit
REPORT = f"""
import atexit, sys
def peak():
    with open(sys.argv[1], "w") as fh:
        fh.write(str({PEAK}))
atexit.register(peak)
from cohort.cli import main
main(["report", "--db", sys.argv[2], "-o", sys.argv[3]], prog_name="cohort")
"""


def run_report(db: Path, pdf: Path, tree: Path | None, work: Path) -> dict:
    """One report in a new Python (``tree``: import cohort from there)."""
    peak_file = work / ".peak"
    peak_file.unlink(missing_ok=True)
    env, cwd = None, work
    if tree is not None:  # outside any checkout, so that only PYTHONPATH finds cohort
        env = dict(os.environ, PYTHONPATH=str(tree))
        cwd = tree.parent
    load = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", REPORT, str(peak_file), str(db), str(pdf)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: tell Popen
    proc.stdout.close()
    if proc.returncode != 0:
        sys.exit(f"report on {db} failed (exit {proc.returncode}):\n{out[-3000:]}")
    return {"wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_gb": round(int(peak_file.read_text()) / 1e6, 3),
            "load_before": round(load, 2), "output": out.strip().splitlines()[-1][:200]}


def registry(work: Path, source: Path | None, n: int) -> Path:
    """A copy of ``source`` (upgraded by this tree) or a synthetic registry of n."""
    import cohort

    if source is not None:
        db = work / f"{source.stem}.duckdb"
        if not db.exists():
            shutil.copy(source, db)
            cohort.Registry(db).upgrade()
        return db
    db = work / f"synth_{n}.duckdb"
    if not db.exists():
        csv = cohort.synth.write(work / f"synth_{n}.csv", n=n, seed=1)
        cohort.Registry(db).load(csv)
    return db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, action="append", default=[],
                    help="a registry to report on (copied first); repeat for several sizes")
    ap.add_argument("--n", type=int, default=100_000,
                    help="without --db: records of a synthetic registry (default 100,000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", default="main", help="git revision timed in the same run")
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    args = ap.parse_args()
    import cohort

    work = (args.dir or Path(tempfile.mkdtemp(prefix="cohort-bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    tree, short = baseline_tree(work, args.baseline)
    trees = {"this": None, f"baseline {short}": tree}
    result = {"baseline": short, "registries": {}}
    for source in args.db or [None]:
        db = registry(work, source, args.n)
        records = cohort.Registry(db).sql("select count(*) as n from cases")["n"].item()
        print(f"{db.name}: {records:,} records", flush=True)
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        same = True
        for i in range(args.repeat):
            order = list(trees) if i % 2 == 0 else list(trees)[::-1]  # alternate who goes first
            pdfs = {}
            for name in order:
                pdfs[name] = work / f"{db.stem}_{name.split()[0]}.pdf"
                r = run_report(db, pdfs[name], trees[name], work)
                runs[name].append(r)
                print(f"  round {i + 1} {name:<18} {r['wall_s']:>7.1f} s wall "
                      f"{r['cpu_s']:>7.1f} s CPU {r['peak_gb']:>6.2f} GB peak "
                      f"(load {r['load_before']})", flush=True)
            same = same and len({p.read_bytes() for p in pdfs.values()}) == 1
        base = f"baseline {short}"
        summary = {"records": records, "same_pdf_bytes": same, "runs": runs}
        for name in trees:
            summary[name] = {k: statistics.median(r[k] for r in runs[name])
                             for k in ("wall_s", "cpu_s", "peak_gb")}
        for k in ("wall_s", "cpu_s", "peak_gb"):
            ratios = [a[k] / b[k] for a, b in zip(runs["this"], runs[base], strict=True)]
            summary[f"{k}_this_over_baseline"] = {
                "median": round(statistics.median(ratios), 3),
                "runs": [round(x, 3) for x in ratios]}
        result["registries"][db.name] = summary
        print(f"  same PDF bytes: {same}", flush=True)
    result["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB, "
        f"python {platform.python_version()}, load average at the end "
        f"{os.getloadavg()[0]:.1f}")
    (work / "report_memory.json").write_text(json.dumps(result, indent=2) + "\n")
    print("\n| registry | records | tree | peak (GB) | wall (s) | CPU (s) |")
    print("|---|---|---|---|---|---|")
    for name, s in result["registries"].items():
        for t in trees:
            print(f"| {name} | {s['records']:,} | {t} | {s[t]['peak_gb']:.2f} | "
                  f"{s[t]['wall_s']:.1f} | {s[t]['cpu_s']:.1f} |")
    for name, s in result["registries"].items():
        print(f"{name}: this / baseline, medians of per-round ratios: peak "
              f"{s['peak_gb_this_over_baseline']['median']}, wall "
              f"{s['wall_s_this_over_baseline']['median']}, CPU "
              f"{s['cpu_s_this_over_baseline']['median']}; same PDF bytes {s['same_pdf_bytes']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
