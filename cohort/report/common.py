"""Helpers shared by the report's pages: number formats, suppressed counts,
time ticks, site labels and the per-site cohort."""

from __future__ import annotations

from importlib.metadata import version

import numpy as np


def fmt_num(x, digits=3) -> str:
    return "NA" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def count_text(n: int, threshold: int) -> str:
    return f"<{threshold}" if 0 < n < threshold else f"{n:,}"


def p_value(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_phrase(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def time_ticks(end: int) -> list[int]:
    """Time-axis ticks: every 12 months, or quarters of a short axis."""
    return list(range(0, end + 1, 12 if end >= 24 else max(1, end // 4)))


def site_label(site: str | None) -> str:
    return {None: "all sites", "head_neck": "head and neck"}.get(site, str(site).replace("_", " "))


def pkg_version(pkg: str) -> str:
    try:
        return version(pkg)
    except Exception:  # noqa: BLE001 - a missing distribution is shown as unknown
        return "unknown"


def site_cohort(s, site: str | None):
    """The report's cohort restricted to one site group (None: all of it)."""
    if site is None:
        return s.cohort("select * from __report")
    return s.cohort("select * from __report where site_group = ?", params=[site])
