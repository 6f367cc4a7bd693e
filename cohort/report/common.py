"""Helpers shared by the report's pages: number formats, suppressed counts,
time ticks, site labels and the per-site cohort."""

from __future__ import annotations

from importlib.metadata import version

import numpy as np

from cohort.formatting import count_text, p_phrase, p_text  # noqa: F401  (one definition)
from cohort.plot.style import time_ticks  # noqa: F401  (the figures' ticks)


def fmt_num(x, digits=3) -> str:
    return "NA" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def p_value(p: float) -> str:
    return p_text(p)


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
