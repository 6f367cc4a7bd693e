"""Helpers shared by the tests (import with ``from helpers import ...``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

import cohort

R_FIXTURES = Path(__file__).parent / "fixtures" / "r"

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


def sire_extract(path: Path) -> Path:
    """popEpi's sire (rectal cancers, Finnish women) as a registry extract: whole months
    as R computed them, diagnosis on the 15th of its month."""
    d = pl.read_csv(R_FIXTURES / "sire.csv").with_row_index("i", offset=1)
    d.select(
        pl.col("i").cast(pl.Utf8).str.zfill(6).alias("patient_id"),
        pl.lit("00").alias("tumor_seq"), pl.lit("2").alias("sex"),
        pl.col("age_at_dx").cast(pl.Utf8).str.zfill(3).alias("age_at_dx"),
        (pl.col("dx_year").cast(pl.Utf8) + pl.col("dx_month").cast(pl.Utf8).str.zfill(2)
         + "15").alias("dx_date"),
        pl.lit("C209").alias("primary_site"), pl.lit("8140").alias("histology"),
        pl.lit("3").alias("behavior"), pl.lit("1").alias("reporting_source"),
        pl.lit("99").alias("nodes_positive_code"), pl.lit("99").alias("nodes_examined_code"),
        pl.when(pl.col("event") == 1).then(pl.lit("0")).otherwise(pl.lit("1"))
        .alias("vital_status"),
        pl.col("surv_months").cast(pl.Utf8).str.zfill(4).alias("surv_months"),
    ).write_csv(path)
    return path
