"""Benchmark: a SEER*Stat labels export (tab-delimited, with its .dic) beside
the CSV reader, on the same records.

Writes one synthetic extract (default 1 million tumours) as CSV and as a
SEER*Stat case listing with value labels (``cohort synth --format
seerstat-labels``), then loads each into a fresh registry with
``Registry.load(..., derive=False)``, alternating the two formats, each load
in its own process so that its peak memory (VmHWM) is its own. Prints the
median time, records per second, the ratio to CSV and the peak memory.
Target from issue 12: >= 150,000 records/s, peak < 1.5 GB.

    python benchmarks/seerstat.py --n 1000000 --repeat 3
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time

from common import PEAK, options, run_child, synth_csv, work_dir

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


def main() -> None:
    args = options(__doc__, n=1_000_000, repeat=3)
    import cohort

    work = work_dir(args)
    files = {"csv": synth_csv(work, args.n), "seerstat": work / f"seer_{args.n}.txt"}
    if not files["seerstat"].exists():
        t = time.perf_counter()
        cohort.synth.write(files["seerstat"], n=args.n, seed=1, format="seerstat-labels")
        print(f"synth seerstat-labels: {args.n:,} records in {time.perf_counter() - t:.1f} s "
              f"({files['seerstat'].stat().st_size / 1e6:,.0f} MB)", flush=True)
    runs: dict[str, list[tuple[float, float, float]]] = {fmt: [] for fmt in files}
    for i in range(args.repeat):
        for fmt, path in files.items():
            db = work / f"bench_{fmt}.duckdb"
            out = run_child(LOAD, path, db, fresh_db=db)
            s, mb, cpu = float(out[0]), int(out[1]) / 1024, float(out[2])
            read, loaded, detected = out[3:]
            assert detected == fmt and int(read) == args.n, (fmt, detected, read)
            runs[fmt].append((s, mb, cpu))
            print(f"run {i + 1} {fmt}: {s:.1f} s ({cpu:.1f} CPU s), {args.n / s:,.0f} records/s, "
                  f"peak {mb:,.0f} MB ({loaded} loaded)", flush=True)
    result = {"records": args.n, "formats": {}}
    for fmt, path in files.items():
        s = statistics.median(r[0] for r in runs[fmt])
        result["formats"][fmt] = {
            "file_mb": round(path.stat().st_size / 1e6),
            "median_s": round(s, 2),
            "records_per_s": round(args.n / s),
            "median_cpu_s": round(statistics.median(r[2] for r in runs[fmt]), 2),
            "peak_mb": round(max(r[1] for r in runs[fmt])),
        }
    for k, name in ((0, "seerstat_over_csv"), (2, "seerstat_over_csv_cpu")):
        ratios = [a[k] / b[k] for a, b in zip(runs["seerstat"], runs["csv"], strict=True)]
        result[name] = {"median": round(statistics.median(ratios), 2),
                        "runs": [round(r, 2) for r in ratios]}
    result["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or 'cpu'}, "
        f"python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
