"""Benchmark: the NAACCR XML and fixed-width readers beside the CSV path.

Writes one synthetic extract (default 1 million tumours) as CSV, NAACCR XML
and NAACCR v18 fixed-width, then loads each into a fresh registry with
``Registry.load(..., derive=False)`` (reading, validation, rejects,
duplicates, provenance; derivation is measured by ``benchmarks/derive.py``).
Each load runs in its own process, so its peak memory (max RSS) is its own.
Prints tumours per second, MB per second of file read, and peak MB per
format; targets from issue 3: fixed-width >= 100,000 tumours/s, XML >=
25,000 tumours/s, peak < 1 GB.

    python benchmarks/readers.py --n 1000000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from common import PEAK, run_child

# Peak memory is the process's VmHWM (kB): getrusage's ru_maxrss survives
# execve on Linux, so a child started from this (large, after synth) parent
# would report the parent's peak instead of its own.
LOAD = f"""
import cohort, sys, time
t = time.perf_counter()
(r,) = cohort.Registry(sys.argv[2]).load(sys.argv[1], derive=False)
s = time.perf_counter() - t
print(s, {PEAK}, r.rows_read, r.format)
"""

FILES = {"csv": "synth_{n}.csv", "naaccr-xml": "synth_{n}.xml", "naaccr-flat": "synth_{n}.dat"}


def run(path: Path, db: Path) -> tuple[float, float, int, str]:
    out = run_child(LOAD, path, db, fresh_db=db)
    return float(out[0]), int(out[1]) / 1024, int(out[2]), out[3]  # s, MB, rows, format


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    args = ap.parse_args()
    import cohort

    work = args.dir or Path(tempfile.mkdtemp(prefix="cohort-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt, pattern in FILES.items():
        path = paths[fmt] = work / pattern.format(n=args.n)
        if not path.exists():
            t = time.perf_counter()
            cohort.synth.write(path, n=args.n, seed=1, format=fmt)
            print(f"synth {fmt}: {args.n:,} tumours in {time.perf_counter() - t:.1f} s "
                  f"({path.stat().st_size / 1e6:,.0f} MB)", flush=True)
    runs: dict[str, list] = {fmt: [] for fmt in FILES}
    for i in range(args.repeat):
        for fmt, path in paths.items():
            runs[fmt].append(run(path, work / f"{fmt}.duckdb"))
            s, mb, rows, detected = runs[fmt][-1]
            assert detected == fmt, (fmt, detected)
            print(f"run {i + 1} {fmt}: {s:.1f} s, {rows / s:,.0f} tumours/s, peak {mb:,.0f} MB",
                  flush=True)
    result = {"tumours": args.n, "formats": {}}
    for fmt, path in paths.items():
        s = statistics.median(r[0] for r in runs[fmt])
        size_mb = path.stat().st_size / 1e6
        result["formats"][fmt] = {
            "file_mb": round(size_mb),
            "median_s": round(s, 2),
            "tumours_per_s": round(args.n / s),
            "mb_per_s": round(size_mb / s, 1),
            "peak_mb": round(max(r[1] for r in runs[fmt])),
        }
    result["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or 'cpu'}, "
        f"python {platform.python_version()}"
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
