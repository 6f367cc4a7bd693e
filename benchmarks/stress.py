"""Stress test of the loader (issue 13): damaged extracts and kills mid-load. Not CI.

Phase 1 loads at least 10,000 damaged extracts (CSV, gzip CSV, Parquet,
NAACCR XML and fixed-width, plain and gzip; see tests/fuzzing.py) in worker
processes, each file into a fresh registry. A load must end in a CohortError
with a one-line message and the registry unchanged, or account for every
record: read = loaded + rejected, counted through `cohort sql` (the CLI,
in process), record numbers 1..n. Any other exception is a traceback; a file
taking more than 60 s is a hang (its worker is killed and restarted). Every
100th file also goes through the real `cohort load` / `cohort sql` commands
in a subprocess, whose output must hold no traceback.

Phase 2 kills `cohort load` (SIGKILL) at random moments, at least 50 times,
on large CSV, gzip, XML and Parquet files: afterwards the registry must hold
the file whole or not at all, and take a load again.

    python benchmarks/stress.py --extracts 10000 --kills 50 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

HANG = 60.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extracts", type=int, default=10_000)
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--worker", nargs=3, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="cohort-stress-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.worker:
        worker(work, *args.worker)
        return
    started = time.time()
    fuzz = run_fuzz(work, args)
    kills = run_kills(work, args)
    report = {"extracts": fuzz, "kills": kills, "minutes": round((time.time() - started) / 60, 1),
              "python": sys.version.split()[0]}
    (work / "stress.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


# -- phase 1: damaged extracts ----------------------------------------------------------
def run_fuzz(work: Path, args) -> dict:
    from fuzzing import bases

    base_dir = work / "bases"
    if not base_dir.exists():
        for kind, data in bases(work / "make").items():
            base_dir.mkdir(exist_ok=True)
            (base_dir / f"base.{kind}").write_bytes(data)
    from fuzzing import empty_registry

    empty_registry(work / "empty.duckdb", work / "check.duckdb")  # before the workers start
    n, k = args.extracts, args.workers
    chunks = [(i * n // k, (i + 1) * n // k) for i in range(k)]
    stats: Counter = Counter()
    by_kind: dict[str, Counter] = {}
    failures: list[dict] = []
    procs = {}
    for lo, hi in chunks:
        procs[_spawn(work, lo, hi, args.seed)] = [lo, hi, None, None]
    while procs:
        ready, _, _ = select.select([p.stdout for p in procs], [], [], 1.0)
        now = time.time()
        for proc in list(procs):
            state = procs[proc]
            if proc.stdout in ready:
                line = proc.stdout.readline()
                if not line:
                    proc.wait()
                    if state[0] < state[1]:  # died: restart after the task it was on
                        stats["worker deaths"] += 1
                        failures.append({"task": state[0], "what": "worker died",
                                         "rc": proc.returncode})
                        state[0] += 1
                        if state[0] < state[1]:
                            procs[_spawn(work, state[0], state[1], args.seed)] = state
                    del procs[proc]
                    continue
                msg = json.loads(line)
                if msg["event"] == "start":
                    state[2], state[3] = msg["task"], now
                    continue
                state[0] = msg["task"] + 1
                state[2] = None
                stats[msg["outcome"]] += 1
                by_kind.setdefault(msg["kind"], Counter())[msg["outcome"]] += 1
                stats["records read"] += msg.get("read", 0)
                if msg["outcome"] in ("traceback", "invariant", "cli traceback"):
                    failures.append(msg)
                if sum(v for key, v in stats.items() if key in _OUTCOMES) % 500 == 0:
                    print(dict(stats), flush=True)
            elif state[2] is not None and now - state[3] > HANG:
                stats["hang"] += 1
                by_kind.setdefault("?", Counter())["hang"] += 1
                failures.append({"task": state[2], "what": "hang > 60 s"})
                proc.kill()
                proc.wait()
                del procs[proc]
                state[0] = state[2] + 1
                state[2] = None
                if state[0] < state[1]:
                    procs[_spawn(work, state[0], state[1], args.seed)] = state
    (work / "failures.json").write_text(json.dumps(failures, indent=1))
    return {"loaded": stats["loaded"], "refused": stats["refused"],
            "tracebacks": stats["traceback"] + stats["cli traceback"],
            "invariant breaches": stats["invariant"], "hangs over 60 s": stats["hang"],
            "worker deaths": stats["worker deaths"], "cli checks": stats["cli checked"],
            "records read": stats["records read"],
            "by kind": {k: dict(v) for k, v in sorted(by_kind.items())},
            "failures": failures[:20]}


_OUTCOMES = ("loaded", "refused", "traceback", "invariant")


def _spawn(work: Path, lo: int, hi: int, seed: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, "--dir", str(work), "--worker", str(lo), str(hi), str(seed)],
        stdout=subprocess.PIPE, text=True, bufsize=1)


def worker(work: Path, lo: int, hi: int, seed: int) -> None:
    import warnings

    from click.testing import CliRunner
    from fuzzing import KINDS, InvariantError, check_load, empty_registry, mutate

    from cohort.cli import main as cli

    warnings.simplefilter("ignore")
    base = {k: (work / "bases" / f"base.{k}").read_bytes() for k in KINDS}
    scratch = work / f"w{lo}"
    scratch.mkdir(exist_ok=True)
    runner = CliRunner()

    def count_by_cli(db: Path, load_id: int):
        """read = loaded + rejected, counted through `cohort sql`."""
        from fuzzing import COUNT_SQL

        out = runner.invoke(cli, ["sql", COUNT_SQL.replace("$id", str(int(load_id))),
                                  "--db", str(db), "--format", "json"], catch_exceptions=False)
        row = json.loads(out.output)[0]
        return row["loaded"], row["rejected"], row["numbers"], row["first"], row["last"]

    for task in range(lo, hi):
        rng = random.Random(seed * 1_000_003 + task)
        kind = KINDS[task % len(KINDS)]
        print(json.dumps({"event": "start", "task": task}), flush=True)
        path = scratch / f"x{task}.{kind}"
        path.write_bytes(mutate(kind, base[kind], rng))
        db = empty_registry(work / "empty.duckdb", scratch / "r.duckdb")
        msg = {"event": "done", "task": task, "kind": kind}
        try:
            out = check_load(path, db, count=count_by_cli, fresh=True)
            msg.update(outcome="refused" if out.refused else "loaded", read=out.read)
        except InvariantError as exc:
            msg.update(outcome="invariant", error=str(exc)[:300])
            _keep(work, path)
        except BaseException as exc:  # noqa: BLE001 - what the CLI would show as a traceback
            msg.update(outcome="traceback", error=f"{type(exc).__name__}: {str(exc)[:300]}")
            _keep(work, path)
        if task % 100 == 0 and msg["outcome"] in ("loaded", "refused"):
            cli_ok = _through_the_cli(path, scratch / "cli.duckdb")
            if not cli_ok:
                msg.update(outcome="cli traceback")
                _keep(work, path)
            else:
                print(json.dumps({**msg, "outcome": "cli checked", "read": 0}), flush=True)
        print(json.dumps(msg), flush=True)
        path.unlink(missing_ok=True)
        db.unlink(missing_ok=True)


def _through_the_cli(path: Path, db: Path) -> bool:
    """`cohort load` and `cohort sql` as a user runs them: no traceback, exit 0 or 1."""
    db.unlink(missing_ok=True)
    load = subprocess.run([sys.executable, "-m", "cohort", "load", str(path), "--db", str(db)],
                          capture_output=True, text=True, timeout=HANG)
    ok = load.returncode in (0, 1) and "Traceback" not in load.stdout + load.stderr
    if load.returncode == 0:
        sql = subprocess.run([sys.executable, "-m", "cohort", "sql", "select rows_read = "
                              "rows_loaded + rows_rejected as ok from loads", "--db", str(db),
                              "--format", "csv"], capture_output=True, text=True, timeout=HANG)
        ok = ok and sql.returncode == 0 and sql.stdout.strip().endswith("true")
    db.unlink(missing_ok=True)
    return ok


def _keep(work: Path, path: Path) -> None:
    keep = work / "failed"
    keep.mkdir(exist_ok=True)
    if path.exists():
        path.replace(keep / path.name)


# -- phase 2: kills ---------------------------------------------------------------------
def run_kills(work: Path, args) -> dict:
    import gzip

    import cohort

    big = work / "kill"
    big.mkdir(exist_ok=True)
    files = [cohort.synth.write(big / "big.csv", n=150_000, seed=5)]
    gz = big / "big.csv.gz"
    if not gz.exists():
        gz.write_bytes(gzip.compress(files[0].read_bytes(), compresslevel=1))
    files.append(gz)
    files.append(cohort.synth.write(big / "big.xml", n=20_000, seed=6, format="naaccr-xml"))
    files.append(cohort.synth.write(big / "big.parquet", n=150_000, seed=7))
    first = cohort.synth.write(big / "first.csv", n=300, seed=8)
    rng = random.Random(args.seed)
    stats: Counter = Counter()
    problems = []
    for i in range(args.kills):
        target = files[i % len(files)]
        db = big / "r.duckdb"
        for p in big.glob("r.duckdb*"):
            p.unlink()
        reg = cohort.Registry(db)
        reg.load(first)
        before = _state(reg)
        proc = subprocess.Popen([sys.executable, "-m", "cohort", "load", str(target), "--db",
                                 str(db), "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        delay = rng.uniform(0.3, 12.0)
        try:
            proc.wait(timeout=delay)
            stats["finished before the kill"] += 1
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            stats["killed"] += 1
        after = _state(reg)
        loads = reg.sql("select rows_read, rows_loaded, rows_rejected from loads "
                        "where load_id > 1").rows()
        if after == before:
            stats["left as it was"] += 1
        elif len(loads) == 1 and loads[0][0] == loads[0][1] + loads[0][2] and loads[0][0] > 0:
            stats["loaded whole"] += 1
        else:
            stats["half-written"] += 1
            problems.append({"kill": i, "file": target.name, "delay": delay, "loads": loads})
        (again,) = reg.load(target)
        if not (again.skipped or again.rows_read == again.rows_loaded + again.rows_rejected):
            stats["reload failed"] += 1
    return {**dict(stats), "problems": problems}


def _state(reg) -> tuple:
    return reg.sql("select (select count(*) from loads), (select count(*) from raw_cases), "
                   "(select count(*) from rejects), (select count(*) from case_derived)").row(0)


if __name__ == "__main__":
    main()
