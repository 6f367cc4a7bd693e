"""Issue 13: damaged extracts of every format, and kills mid-load, in CI.

A bounded run of the stress test in benchmarks/stress.py (which runs
10,000 extracts): every load of a damaged file ends in a CohortError with a
one-line message and the registry unchanged, or accounts for every record
it read, with record numbers 1..n.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from fuzzing import KINDS, bases, check_load, empty_registry, mutate
from helpers import snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cohort


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    return folder, bases(folder / "bases")


@pytest.mark.parametrize("kind", KINDS)
def test_the_undamaged_bases_load(corpus, kind, tmp_path):
    folder, base = corpus
    path = tmp_path / f"x.{kind}"
    path.write_bytes(base[kind])
    out = check_load(path, empty_registry(folder / "empty.duckdb", tmp_path / "r.duckdb"))
    assert out.refused is None and out.read > 0


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32 - 1))
def test_damaged_extracts_are_refused_cleanly_or_fully_accounted(corpus, tmp_path, kind, seed):
    folder, base = corpus
    rng = random.Random(seed)
    path = tmp_path / f"fuzz{seed}.{kind}"
    path.write_bytes(mutate(kind, base[kind], rng))
    db = empty_registry(folder / "empty.duckdb", tmp_path / f"r{seed}.duckdb")
    check_load(path, db, fresh=True)  # raises on a broken invariant or any non-CohortError
    path.unlink()
    db.unlink()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_mid_load_leaves_the_registry_whole(tmp_path, seed):
    """SIGKILL at a random moment of a load: afterwards the file is either
    not in the registry at all, or in it whole (read = loaded + rejected)."""
    first = cohort.synth.write(tmp_path / "first.csv", n=200, seed=seed)
    big = cohort.synth.write(tmp_path / "big.csv", n=60_000, seed=seed + 10)
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(first)
    before = snapshot(reg)
    script = textwrap.dedent(f"""
        import cohort
        cohort.Registry({str(reg.path)!r}).load({str(big)!r})
        print("committed", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    time.sleep(random.Random(seed).uniform(1.0, 6.0))
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    loads = reg.sql("select file_name, rows_read, rows_loaded, rows_rejected from loads "
                    "order by load_id").rows()
    if "committed" in out or len(loads) == 2:
        assert loads[1][0] == "big.csv" and loads[1][1] == loads[1][2] + loads[1][3] == 60_000
        assert reg.sql("select count(*) from raw_cases where load_id = 2").item() == loads[1][2]
    else:
        assert snapshot(reg) == before
    # and the registry still takes a load
    (again,) = reg.load(big)
    assert again.skipped or again.rows_read == 60_000
