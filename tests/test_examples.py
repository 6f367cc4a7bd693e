"""Every example runs from an empty folder and passes its own headline checks."""

from __future__ import annotations

import json
import math
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


FIGURES = EXAMPLES.parent / "docs" / "figures"


def _close(a, b, where: str) -> None:
    if isinstance(a, dict):
        assert set(a) == set(b), (where, sorted(set(a) ^ set(b)))
        for k in a:
            _close(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (where, a, b)
    else:
        assert a == b, (where, a, b)


def test_notebook_example_and_its_figures(tmp_path):
    """The worked notebook runs as a script, passes its own checks, and draws
    what the documentation's figures show: the drawn data (curves, numbers at
    risk, hazard ratios) equal the JSON committed beside each PNG (pixels are
    not compared: they differ between matplotlib and FreeType versions).
    Regenerate: python examples/node_burden_notebook.py --figures docs/figures"""
    work, out = tmp_path / "work", tmp_path / "figures"
    work.mkdir()
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "node_burden_notebook.py"), "--figures", str(out)],
        cwd=work, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1].startswith("ok: ")
    assert list(work.iterdir()) == []
    committed = sorted(p.name for p in FIGURES.glob("*.json"))
    assert committed == sorted(p.name for p in out.glob("*.json")) == [
        "cox_breast.json", "km_breast.json", "net_breast.json"]
    for name in committed:
        assert (FIGURES / name.replace(".json", ".png")).stat().st_size > 10_000
        _close(json.loads((out / name).read_text()), json.loads((FIGURES / name).read_text()),
               f"{name} is stale: regenerate with python examples/node_burden_notebook.py "
               "--figures docs/figures")
    text = (EXAMPLES.parent / "docs" / "tutorial.md").read_text()
    for name in committed:  # the docs show every figure
        assert f"(figures/{name.replace('.json', '.png')})" in text


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
