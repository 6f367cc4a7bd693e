"""What the benchmarks share: options, the work folder, the synthetic CSV, and
running one measured step in its own process.

Peak memory is the child's VmHWM (kB): getrusage's ru_maxrss survives execve on
Linux, so a child started from a large parent would report the parent's peak.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# the expression a child prints for its peak memory in kB
PEAK = 'next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM"))'


def options(doc: str, *, n: int, repeat: int, baseline: bool = False, db: bool = False,
            extra: list[tuple[str, str]] = ()) -> argparse.Namespace:
    """The common options, ``--baseline`` and ``--db`` when asked, and
    ``extra`` on/off flags (name, help)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    for flag, text in extra:
        ap.add_argument(flag, action="store_true", help=text)
    ap.add_argument("--n", type=int, default=n)
    ap.add_argument("--repeat", type=int, default=repeat)
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    if baseline:
        ap.add_argument("--baseline", default=None,
                        help="git revision to time in the same run (extracted with git archive)")
    if db:
        ap.add_argument("--db", type=Path, default=None,
                        help="an existing registry to use instead of a synthetic one (it is "
                             "written to: pass a copy)")
    return ap.parse_args()


def work_dir(args: argparse.Namespace) -> Path:
    work = args.dir or Path(tempfile.mkdtemp(prefix="cohort-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    return work


def synth_csv(work: Path, n: int) -> Path:
    """The synthetic CSV of n records (seed 1), written once per work folder."""
    import cohort

    csv = work / f"synth_{n}.csv"
    if not csv.exists():
        t = time.perf_counter()
        cohort.synth.write(csv, n=n, seed=1)
        print(f"synth: {n:,} records in {time.perf_counter() - t:.1f} s "
              f"({csv.stat().st_size / 1e9:.2f} GB)", flush=True)
    return csv


def run_child(code: str, *args, fresh_db: Path | None = None, tree: Path | None = None
              ) -> list[str]:
    """Run ``code`` in a new Python with ``args``; the fields of its last line.

    ``fresh_db`` is deleted (with its WAL) first, so every run starts empty.
    ``tree`` is a source tree to import cohort from instead of the installed
    one (a baseline from :func:`baseline_tree`).
    """
    if fresh_db is not None:
        for f in (fresh_db, Path(str(fresh_db) + ".wal")):
            f.unlink(missing_ok=True)
    env, cwd = None, None
    if tree is not None:  # run outside any checkout, so that only PYTHONPATH finds cohort
        env = dict(os.environ, PYTHONPATH=str(tree))
        cwd = tree.parent
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                         text=True, check=True, env=env, cwd=cwd)
    return out.stdout.strip().splitlines()[-1].split()


def baseline_tree(work: Path, rev: str) -> tuple[Path, str]:
    """The project at git revision ``rev`` extracted under ``work`` (once), and
    the revision's short hash: a baseline timed in the same run."""
    repo = Path(__file__).resolve().parent.parent
    short = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", rev],
                           capture_output=True, text=True, check=True).stdout.strip()
    tree = work / f"baseline-{short}"
    if not tree.exists():
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(repo), "archive", short],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree, short
