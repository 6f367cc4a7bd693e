"""What checking a file whole costs (issue 13, item 1): the streamed pass
before a load, against hashing alone (the pass the loader always made) and
against `gzip -t`, on the same plain and gzip extract. Medians of --repeat
runs, alternating, each in its own process.

    python benchmarks/integrity.py --n 1000000 --repeat 3
"""

from __future__ import annotations

import gzip
import shutil
import statistics
import subprocess
import sys

from common import options, synth_csv, work_dir

STEPS = {
    "sha256 only": "from cohort.readers.textfile import scan_file; "
                   "import hashlib; h = hashlib.sha256(); f = open(P, 'rb')\n"
                   "while b := f.read(1 << 20): h.update(b)",
    "scan (sha256 + gzip check + rows)": "from cohort.readers.textfile import scan_file; "
                                         "scan_file(P, lines=True)",
}


def timed(code: str, path) -> float:
    script = (f"import time, pathlib; P = pathlib.Path({str(path)!r}); t = time.perf_counter()\n"
              f"{code}\nprint(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.split()[-1])


def gzip_t(path) -> float:
    import time

    t = time.perf_counter()
    subprocess.run(["gzip", "-t", str(path)], check=True)
    return time.perf_counter() - t


def main() -> None:
    args = options(__doc__, n=1_000_000, repeat=3)
    work = work_dir(args)
    csv = synth_csv(work, args.n)
    gz = work / (csv.name + ".gz")
    if not gz.exists():
        with open(csv, "rb") as src, gzip.open(gz, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    rows = []
    for path in (csv, gz):
        times = {k: [] for k in [*STEPS, "gzip -t"]}
        for _ in range(args.repeat):
            for name, code in STEPS.items():
                times[name].append(timed(code, path))
            if path.suffix == ".gz":
                times["gzip -t"].append(gzip_t(path))
        size = path.stat().st_size / 1e6
        for name, ts in times.items():
            if ts:
                rows.append((path.name, f"{size:.0f} MB", name, statistics.median(ts)))
    base = {r[0]: r[3] for r in rows if r[2] == "sha256 only"}
    print("| file | size | step | median | / sha256 only |")
    print("|---|---|---|---|---|")
    for name, size, step, t in rows:
        print(f"| {name} | {size} | {step} | {t:.2f} s | {t / base[name]:.2f} |")


if __name__ == "__main__":
    main()
