"""The site rules read from ``cohort/data`` (sites.csv, n_categories.csv).

A module of its own, outside ``cohort.derive``, so that labels read them without
loading the derivations (``cohort.derive.tables`` re-exports them).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

SITE_GROUPS = (
    "breast",
    "colon",
    "rectum",
    "stomach",
    "esophagus",
    "pancreas",
    "lung",
    "melanoma",
    "head_neck",
    "other",
)

# Every N level any site can take, in clinical order: an ordered categorical
# (polars Enum, DuckDB ENUM) so tables and plots keep it. "N1 NOS" is
# node-positive with the number unknown (AJCC: assign N1).
NODE_BURDEN_LEVELS = (
    "N0",
    "N1 NOS",
    "N1",
    "N1a",
    "N1b",
    "N1c",
    "N2",
    "N2a",
    "N2b",
    "N3",
    "N3a",
    "N3b",
    "NX",
)


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("cohort").joinpath("data").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def site_rules() -> tuple[dict[str, str], ...]:
    return tuple(_rows("sites.csv"))


@cache
def n_categories() -> dict[str, list[tuple[str, int, int | None]]]:
    """``{rule: [(category, min_positive, max_positive or None), ...]}``."""
    out: dict[str, list[tuple[str, int, int | None]]] = {}
    for row in _rows("n_categories.csv"):
        hi = int(row["max_positive"]) if row["max_positive"] else None
        out.setdefault(row["site_group"], []).append(
            (row["category"], int(row["min_positive"]), hi)
        )
    return out
