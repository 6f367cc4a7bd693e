"""Every example runs from an empty folder and passes its own headline checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import cohort
from cohort.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    "script",
    ["breast_node_burden.py", "colorectal_lnr.py", "ene_head_neck.py", "competing_risks.py"],
)
def test_example_runs(script, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-W", "error::cohort.errors.CohortWarning", str(EXAMPLES / script)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1].startswith("ok: ")
    assert list(tmp_path.iterdir()) == []  # nothing left in the working folder


def test_cohorts_sql_runs(tmp_path):
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(cohort.synth.write(tmp_path / "s.csv", n=3000, seed=1))
    result = CliRunner().invoke(main, ["sql", "-f", str(EXAMPLES / "cohorts.sql"),
                                       "--db", str(reg.path)])
    assert result.exit_code == 0, result.output
    tables = [ln for ln in result.output.splitlines() if ln.startswith("|-")]
    assert len(tables) == 5  # five queries, each printed under its own comment
    assert "-- Stage III colon cancer by counts" in result.output
    assert "| stage " in result.output and "| edit " in result.output
