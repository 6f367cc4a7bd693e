"""What a command imports (issue 16): the fixed cost of every command is its
imports, so the help and the Kaplan-Meier / Cox / log-rank path must not
pull in lifelines, scipy, pandas or matplotlib (nor numpy for the help, nor
the synthetic-data generator). The test checks which modules are loaded, in
a fresh interpreter, never how long anything takes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("lifelines", "scipy", "pandas", "matplotlib")

# run the cohort command in this interpreter, then print its exit code and the modules loaded
RUN = """
import json, runpy, sys
sys.argv = ["cohort", *json.loads(sys.argv[1])]
code = 0
try:
    runpy.run_module("cohort", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
print(json.dumps({"exit": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def imported(*args: str) -> set[str]:
    """The modules loaded by ``cohort ARGS`` (which must succeed)."""
    out = subprocess.run([sys.executable, "-c", RUN, json.dumps([str(a) for a in args])],
                         capture_output=True, text=True, timeout=300)
    result = json.loads(out.stderr.strip().splitlines()[-1])
    assert result["exit"] == 0, out.stdout + out.stderr
    return set(result["modules"])


def test_help_importtime_lists_nothing_heavy():
    """``python -X importtime -m cohort --help``, as the issue states the check: the
    modules named in the import-time log (one line per module imported)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "cohort", "--help"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "Usage:" in out.stdout, out.stderr[-2000:]
    names = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()
             if line.startswith("import time:")}
    assert "cohort.cli" in names  # the log was read
    assert not {m for m in names if m.split(".")[0] in (*HEAVY, "numpy")}


def test_help_imports_nothing_heavy():
    modules = imported("--help")
    assert not {m for m in modules if m.split(".")[0] in (*HEAVY, "numpy")}
    assert "cohort.synth" not in modules and "cohort.readers" not in modules


@pytest.mark.parametrize("command", [
    ("km", "--where", "site_group = 'breast'"),
    ("km", "--where", "site_group = 'breast'", "--strata", "sex", "--pairwise", "holm"),
    ("cox", "--where", "site_group = 'breast'", "--terms", "node_burden,age_at_dx"),
])
def test_survival_commands_import_only_what_they_use(gbsg2, command):
    modules = imported(*command, "--db", gbsg2.path)
    ran = "cohort.survival.efron" if command[0] == "cox" else "cohort.survival.logrank"
    assert ran in modules
    assert not {m for m in modules if m.split(".")[0] in (*HEAVY, "pyarrow")}
    assert not {"cohort.synth", "cohort.readers", "cohort.load", "cohort.derive"} & modules
    # nor the competing-risks estimators, nor polars' check of map_elements lambdas
    # (polars._utils.udfs: tens of ms of imports and bytecode analysis per command)
    assert not {"cohort.survival.compete", "polars._utils.udfs"} & modules


@pytest.mark.parametrize(("command", "fmt"), [
    (("km", "--by", "node_burden"), "csv"),
    (("km", "--by", "node_burden"), "html"),
    (("cox", "--terms", "node_burden,age_at_dx"), "md"),
    (("cox", "--terms", "node_burden,age_at_dx"), "json"),
])
def test_the_other_output_formats_of_km_and_cox_stay_light(gbsg2, command, fmt):
    """The other output formats (the table form is above) print through the
    same light path: no heavy library, pyarrow or polars' lambda check."""
    modules = imported(*command, "--where", "site_group = 'breast'", "--format", fmt,
                       "--db", gbsg2.path)
    assert not {m for m in modules if m.split(".")[0] in (*HEAVY, "pyarrow")}
    assert not {"cohort.survival.compete", "polars._utils.udfs", "cohort.synth"} & modules


def test_km_with_a_small_group_solves_its_suppression_without_scipy(tmp_path):
    """A group under 11 beside printed totals needs complementary suppression
    (linear programs); small tables are solved exactly by cohort.exact_lp, so
    SciPy (about half a second of imports) stays out of the command."""
    from helpers import HEADER, record

    lines = ([record(i, sex="2", vital="0" if i % 2 else "1") for i in range(50)]
             + [record(100 + i, sex="1", vital="0" if i % 3 else "1") for i in range(30)]
             + [record(200 + i, sex="9", vital="0" if i % 2 else "1") for i in range(7)])
    path = tmp_path / "k.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    db = tmp_path / "k.duckdb"
    import cohort

    cohort.Registry(db).load(path)
    modules = imported("km", "--where", "true", "--by", "sex", "--db", db)
    assert "cohort.exact_lp" in modules  # the suppression ran
    assert not {m for m in modules if m.split(".")[0] in HEAVY}
