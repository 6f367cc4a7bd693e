"""Benchmark: the fixed cost of `cohort km` / `cohort cox` on a 1,000-record registry
(issue 16, target 2: under 0.4 s), this tree against a baseline tree, in the same run.

The baseline is a git revision (default ``main``) extracted with ``git archive`` into the
work folder and run with ``PYTHONPATH`` pointing at it (same interpreter, same
packages), so only cohort's own code differs. Each tree loads the same 1,000-record
synthetic CSV into its own registry (a registry written by one tree would be upgraded
by the other on open), then every command runs once untimed (bytecode, file caches) and
``--repeat`` rounds, alternating trees, the order reversed every other round. Wall, CPU
(user + system) and peak memory come from ``/usr/bin/time``; the figures are medians.
It also lists the heavy modules (lifelines, scipy, pandas, matplotlib, pyarrow, numpy)
each command imports, and times, in the same rounds, the floor under any analysis: the
interpreter alone, the imports of the analysis path (with and without polars), and those
imports plus DuckDB opening the registry, running the km cohort's collapse and closing.

    python benchmarks/fixed_cost.py --baseline main --repeat 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TREE = Path(__file__).resolve().parent.parent
HEAVY = ("lifelines", "scipy", "pandas", "matplotlib", "pyarrow", "numpy")
WHERE = "site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3')"
COMMANDS = {
    "help": ["--help"],
    "km": ["km", "--where", WHERE, "--by", "node_burden"],
    "cox": ["cox", "--where", WHERE, "--terms", "node_burden,age_at_dx"],
}
# the floor under any km / cox process, timed in the same rounds: the interpreter alone,
# and the imports of today's analysis path (duckdb to read the registry, polars for its
# result tables, numpy for the estimators, click for the command line), with one BLAS
# thread as the CLI sets it; "without polars" is the floor of an analysis path that
# would print its tables without polars
ONE_BLAS = "import os; os.environ.setdefault('OPENBLAS_NUM_THREADS', '1'); "
OPEN_COLLAPSE_CLOSE = (
    "con = duckdb.connect({db!r}, read_only=True, config={{'enable_external_access': False}}); "
    "con.sql(\"select surv_months + 0.5 as time, event, node_burden::varchar, count(*) "
    "from cases where exclusion_reason is null and " + WHERE.replace('"', '\\"')
    + " group by all order by all\").fetchnumpy(); con.close()")
FLOORS = {
    "python -c pass": "pass",
    "import duckdb, polars": "import duckdb, polars",
    "import duckdb, polars, numpy": ONE_BLAS + "import duckdb, polars, numpy",
    "import duckdb, polars, numpy, click": ONE_BLAS + "import duckdb, polars, numpy, click",
    "without polars: import duckdb, numpy, click": ONE_BLAS + "import duckdb, numpy, click",
    # the two floors with the registry opened read-only, one query on the cases view (the
    # km cohort's collapse) and the connection closed: DuckDB's start, in every command
    "import duckdb, polars, numpy, click + open, collapse, close": ONE_BLAS
    + "import duckdb, polars, numpy, click; " + OPEN_COLLAPSE_CLOSE,
    "without polars + open, collapse, close": ONE_BLAS + "import duckdb, numpy, click; "
    + OPEN_COLLAPSE_CLOSE,
}

# runs cohort's CLI in this interpreter, then prints the heavy top-level modules loaded
MODULES = """
import json, runpy, sys
wanted = set(json.loads(sys.argv[2]))
sys.argv = ["cohort", *json.loads(sys.argv[1])]
try:
    runpy.run_module("cohort", run_name="__main__")
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & wanted)
print(json.dumps([sys.modules["cohort"].__file__, heavy]), file=sys.stderr)
"""


def env_for(tree: Path, cwd: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    env["COHORT_BENCH_CWD"] = str(cwd)
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    return env


def timed(cmd: list[str], env: dict) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak MB of one process (run in the work folder:
    ``python -m`` puts the current folder before ``PYTHONPATH``)."""
    out = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", *cmd], capture_output=True,
                         text=True, env=env, cwd=env["COHORT_BENCH_CWD"])
    if out.returncode != 0:
        raise RuntimeError(f"{cmd} failed:\n{out.stdout[-1500:]}\n{out.stderr[-1500:]}")
    wall, user, system, peak = out.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(peak) / 1024


def heavy_modules(args: list[str], env: dict, tree: Path) -> list[str]:
    out = subprocess.run([sys.executable, "-c", MODULES, json.dumps(args), json.dumps(HEAVY)],
                         capture_output=True, text=True, env=env, cwd=env["COHORT_BENCH_CWD"])
    path, heavy = json.loads(out.stderr.strip().splitlines()[-1])
    if not Path(path).is_relative_to(tree):  # the tree meant, not another on sys.path
        raise RuntimeError(f"ran {path}, not the tree {tree}")
    return heavy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="main", help="git revision to compare with")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="cohort-fixed-"))
    work.mkdir(parents=True, exist_ok=True)

    base = work / "baseline"
    if not base.exists():
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(TREE), "archive", args.baseline],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
    rev = subprocess.run(["git", "-C", str(TREE), "rev-parse", "--short", args.baseline],
                         capture_output=True, text=True, check=True).stdout.strip()
    head = subprocess.run(["git", "-C", str(TREE), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    trees = {"this": TREE, "baseline": base}
    envs = {k: env_for(v, work) for k, v in trees.items()}
    # bytecode for both trees, as `pip install` writes it: without it (an editable
    # install under PYTHONDONTWRITEBYTECODE, as on the build machine) every run
    # compiles cohort's ~26 modules from source, 0.05-0.1 s of each command
    for tree in trees.values():
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "cohort")],
                       check=True, stdout=subprocess.DEVNULL)
    cli = [sys.executable, "-m", "cohort"]

    csv = work / "synth.csv"
    if not csv.exists():
        subprocess.run([*cli, "synth", "--n", str(args.n), "--seed", "1", "-o", str(csv)],
                       check=True, env=envs["this"], capture_output=True, cwd=work)
    dbs = {}
    for name, env in envs.items():
        dbs[name] = work / f"{name}.duckdb"
        if not dbs[name].exists():
            subprocess.run([*cli, "load", str(csv), "--db", str(dbs[name])], check=True,
                           env=env, capture_output=True, cwd=work)

    def cmd(name: str, what: str) -> list[str]:
        extra = [] if what == "help" else ["--db", str(dbs[name])]
        return [*cli, *COMMANDS[what], *extra]

    modules = {(n, w): heavy_modules(cmd(n, w)[3:], envs[n], trees[n])
               for n in trees for w in COMMANDS}
    for n in trees:  # warm-up
        for w in COMMANDS:
            timed(cmd(n, w), envs[n])
    runs = {(n, w): [] for n in trees for w in COMMANDS}
    runs |= {("floor", f): [] for f in FLOORS}
    order = [(n, w) for w in COMMANDS for n in trees] + [("floor", f) for f in FLOORS]

    def run(key):
        if key[0] == "floor":
            return timed([sys.executable, "-c", FLOORS[key[1]].format(db=str(dbs["this"]))],
                         envs["this"])
        return timed(cmd(*key), envs[key[0]])

    load_before = Path("/proc/loadavg").read_text().split()[:3]
    for r in range(args.repeat):
        for key in (order if r % 2 == 0 else order[::-1]):
            runs[key].append(run(key))
    print(f"this tree {head} against baseline {args.baseline} ({rev}); {args.n:,} records; "
          f"{args.repeat} rounds; load average before {load_before}, after "
          f"{Path('/proc/loadavg').read_text().split()[:3]}")
    print("| command | baseline wall | this wall | baseline / this | baseline CPU | this CPU "
          "| this peak | heavy modules (baseline -> this) |")
    print("|---|---|---|---|---|---|---|---|")
    result = {}
    for w in COMMANDS:
        b = [statistics.median(x[i] for x in runs["baseline", w]) for i in range(3)]
        t = [statistics.median(x[i] for x in runs["this", w]) for i in range(3)]
        result[w] = {"baseline": runs["baseline", w], "this": runs["this", w]}
        print(f"| `cohort {w}` | {b[0]:.2f} s | {t[0]:.2f} s | {b[0] / t[0]:.1f} | "
              f"{b[1]:.2f} s | {t[1]:.2f} s | {t[2]:.0f} MB | "
              f"{', '.join(modules['baseline', w]) or '-'} -> "
              f"{', '.join(modules['this', w]) or '-'} |")
    print("\n| floor (same rounds) | wall | CPU | peak |\n|---|---|---|---|")
    for f in FLOORS:
        m = [statistics.median(x[i] for x in runs["floor", f]) for i in range(3)]
        result[f] = runs["floor", f]
        print(f"| `{f}` | {m[0]:.2f} s | {m[1]:.2f} s | {m[2]:.0f} MB |")
    (work / "fixed_cost.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
