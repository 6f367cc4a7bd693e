"""Helpers shared by the tests (import with ``from helpers import ...``)."""

from __future__ import annotations

import cohort

HEADER = (
    "patient_id,tumor_seq,sex,age_at_dx,dx_date,primary_site,histology,behavior,"
    "nodes_positive_code,nodes_examined_code,vital_status,surv_months"
)


def record(pid, *, seq="00", sex="2", age="065", dx="20150302", site="C504", hist="8500",
           beh="3", pos="05", exam="12", vital="1", months="0060"):
    return ",".join([str(pid), seq, sex, age, dx, site, hist, beh, pos, exam, vital, months])


def snapshot(reg: cohort.Registry) -> dict:
    """Everything a load could change, for before/after comparisons."""
    if not reg.path.exists():
        return {}
    return {
        table: reg.sql(f"select * from {table} order by all").rows()
        for table in ("loads", "raw_cases", "rejects")
    }
