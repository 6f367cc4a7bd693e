"""Benchmark: a SEER*Stat labels export (tab-delimited, with its .dic) beside
the CSV reader, on the same records.

Writes one synthetic extract (default 1 million tumours) as CSV and as a
SEER*Stat case listing with value labels (``cohort synth --format
seerstat-labels``), then loads each into a fresh registry with
``Registry.load(..., derive=False)``, alternating the two formats, each load
in its own process so that its peak memory (VmHWM) is its own. Prints the
median time, records per second, the ratio to CSV and the peak memory.
Target from issue 12: >= 150,000 records/s, peak < 1.5 GB. For scale, the
same run also times DuckDB alone copying the export's text into a table
(``create table as select * from read_csv``: no decoding, no checks).

    python benchmarks/seerstat.py --n 1000000 --repeat 3 [--baseline REV]

With ``--baseline REV`` the same loads also run on the project at git
revision REV (extracted with ``git archive``), alternating with this tree.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time

from common import PEAK, baseline_tree, options, run_child, synth_csv, work_dir

# CPU seconds (user + system, all threads) beside the wall time: on a shared,
# busy machine the wall time mostly measures the other processes
LOAD = f"""
import cohort, resource, sys, time
t = time.perf_counter()
(r,) = cohort.Registry(sys.argv[2]).load(sys.argv[1], derive=False)
s = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_SELF)
print(s, {PEAK}, u.ru_utime + u.ru_stime, r.rows_read, r.rows_loaded, r.format)
"""
# DuckDB alone copying the export's text into a table (no decoding, no checks):
# the speed of the engine underneath, for scale
BARE = f"""
import duckdb, resource, sys, time
con = duckdb.connect(sys.argv[2])
con.execute("set enable_progress_bar = false")
t = time.perf_counter()
n = con.execute("create table t as select * from read_csv(?, all_varchar = true, "
                "delim = chr(9), header = true)", [sys.argv[1]]).fetchall()[0][0]
s = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_SELF)
print(s, {PEAK}, u.ru_utime + u.ru_stime, n, n, "seerstat")
"""


def main() -> None:
    args = options(__doc__, n=1_000_000, repeat=3, baseline=True)
    import cohort

    work = work_dir(args)
    trees = {"": None}
    if args.baseline:
        tree, short = baseline_tree(work, args.baseline)
        trees[f" ({short})"] = tree
    files = {"csv": synth_csv(work, args.n), "seerstat": work / f"seer_{args.n}.txt"}
    if not files["seerstat"].exists():
        t = time.perf_counter()
        cohort.synth.write(files["seerstat"], n=args.n, seed=1, format="seerstat-labels")
        print(f"synth seerstat-labels: {args.n:,} records in {time.perf_counter() - t:.1f} s "
              f"({files['seerstat'].stat().st_size / 1e6:,.0f} MB)", flush=True)
    # every (tree, format) pair once per round, alternating
    cases = {f"{fmt}{label}": (path, tree) for label, tree in trees.items()
             for fmt, path in files.items()}
    cases["seerstat bare-duckdb"] = (files["seerstat"], None)
    runs: dict[str, list[tuple[float, float, float]]] = {case: [] for case in cases}
    for i in range(args.repeat):
        for case, (path, tree) in cases.items():
            fmt = case.split(" ")[0]
            db = work / f"bench_{fmt}.duckdb"
            out = run_child(BARE if "bare" in case else LOAD, path, db, fresh_db=db,
                            tree=tree)
            s, mb, cpu = float(out[0]), int(out[1]) / 1024, float(out[2])
            read, loaded, detected = out[3:]
            assert detected == fmt and int(read) == args.n, (fmt, detected, read)
            runs[case].append((s, mb, cpu))
            print(f"run {i + 1} {case}: {s:.1f} s ({cpu:.1f} CPU s), {args.n / s:,.0f} "
                  f"records/s, peak {mb:,.0f} MB ({loaded} loaded)", flush=True)
    result = {"records": args.n, "runs": {}}
    for case, (path, _) in cases.items():
        s = statistics.median(r[0] for r in runs[case])
        result["runs"][case] = {
            "file_mb": round(path.stat().st_size / 1e6),
            "median_s": round(s, 2),
            "records_per_s": round(args.n / s),
            "median_cpu_s": round(statistics.median(r[2] for r in runs[case]), 2),
            "peak_mb": round(max(r[1] for r in runs[case])),
        }

    def ratio(a: str, b: str, k: int) -> dict:
        ratios = [x[k] / y[k] for x, y in zip(runs[a], runs[b], strict=True)]
        return {"median": round(statistics.median(ratios), 2),
                "runs": [round(r, 2) for r in ratios]}

    result["seerstat_over_bare_duckdb"] = ratio("seerstat", "seerstat bare-duckdb", 0)
    result["seerstat_over_csv"] = ratio("seerstat", "csv", 0)
    result["seerstat_over_csv_cpu"] = ratio("seerstat", "csv", 2)
    for label in list(trees)[1:]:
        for fmt in files:
            result[f"{fmt}{label}_over_this"] = ratio(f"{fmt}{label}", fmt, 0)
            result[f"{fmt}{label}_over_this_cpu"] = ratio(f"{fmt}{label}", fmt, 2)
    result["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or 'cpu'}, "
        f"python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
