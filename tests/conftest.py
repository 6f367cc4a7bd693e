"""Shared fixtures: temporary registries and small extracts."""

from __future__ import annotations

import matplotlib
import pytest
from helpers import HEADER
from hypothesis import settings

import cohort

matplotlib.use("Agg")

# The suite is reproducible: property tests draw the same examples on every run,
# so CI passes or fails for a reason a developer can see again. Draw new random
# examples with `pytest --hypothesis-profile=explore` when changing an estimator
# or a reader (that is how the Fine-Gray flat-likelihood case was found).
settings.register_profile("reproducible", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("reproducible")


@pytest.fixture
def write_csv(tmp_path):
    """Write a CSV extract from a header and record lines; returns its path."""

    def _write(name, lines, header=HEADER, encoding="utf-8"):
        path = tmp_path / name
        text = "\n".join([header, *lines] if header else lines) + "\n"
        path.write_bytes(text.encode(encoding))
        return path

    return _write


@pytest.fixture
def registry(tmp_path):
    return cohort.Registry(tmp_path / "registry.duckdb")


@pytest.fixture(scope="session")
def gbsg2(tmp_path_factory):
    """The GBSG2 trial loaded through the registry: the data of the R fixtures."""
    from cohort.datasets import gbsg2_extract

    tmp = tmp_path_factory.mktemp("gbsg2")
    reg = cohort.Registry(tmp / "r.duckdb")
    reg.load(gbsg2_extract(tmp / "gbsg2.csv"))
    return reg


@pytest.fixture(scope="session")
def synth_csv(tmp_path_factory):
    """A 5,000-record synthetic extract shared by the session (read-only)."""
    path = tmp_path_factory.mktemp("synth") / "synth.csv"
    return cohort.synth.write(path, n=5_000, seed=11)
