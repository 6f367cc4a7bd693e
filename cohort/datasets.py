"""Real data that ships with a dependency, as a registry extract.

``gbsg2_extract`` turns lifelines' ``load_lymph_node`` — the German Breast
Cancer Study Group 2 trial (686 women with node-positive breast cancer,
Schumacher et al., J Clin Oncol 1994) — into a registry extract with
canonical columns, so the whole cohort path (load, derive, survival) can
run on real data:

- ``patient_id`` the trial id; one breast primary each (``tumor_seq`` 00,
  ``primary_site`` C509, ``histology`` 8500, ``behavior`` 3, ``sex`` 2);
- ``age_at_dx`` age, ``dx_date`` the diagnosis date;
- ``nodes_positive_code`` the positive node count (``90`` for 90 or more);
  ``nodes_examined_code`` ``99``: the trial did not record it;
- ``vital_status`` from ``censdead``, ``last_contact_date`` the date of
  death or last follow-up; ``surv_months`` = floor(days / 30.4375) (the
  definition used by the R reference values in tests/fixtures/r);
- cause of death is not recorded, so cause-specific survival is undefined;
- trial variables (menopause, hormone therapy, tumour size, receptors,
  recurrence) are kept as extra columns (``extra['menopause']`` in SQL).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl


def gbsg2_extract(path: str | Path) -> Path:
    """Write the GBSG2 trial as a registry extract CSV and return its path.

    >>> import tempfile, pathlib, polars as pl
    >>> p = gbsg2_extract(pathlib.Path(tempfile.mkdtemp()) / "gbsg2.csv")
    >>> pl.read_csv(p, infer_schema=False)["nodes_positive_code"].head(2).to_list()
    ['05', '01']
    """
    from lifelines.datasets import load_lymph_node

    raw = pl.from_pandas(load_lymph_node().reset_index())

    def date(col: str) -> pl.Expr:
        return pl.col(col).str.strptime(pl.Date, "%d-%m-%Y").dt.strftime("%Y%m%d")

    extract = raw.select(
        pl.col("id").cast(pl.Utf8).str.zfill(8).alias("patient_id"),
        pl.lit("00").alias("tumor_seq"),
        pl.lit("2").alias("sex"),
        pl.col("age").cast(pl.Utf8).str.zfill(3).alias("age_at_dx"),
        date("diagdateb").alias("dx_date"),
        pl.lit("C509").alias("primary_site"),
        pl.lit("8500").alias("histology"),
        pl.lit("3").alias("behavior"),
        pl.col("grade").cast(pl.Utf8).alias("grade"),
        pl.lit("1").alias("reporting_source"),
        pl.min_horizontal(pl.col("nodes"), pl.lit(90)).cast(pl.Utf8).str.zfill(2)
        .alias("nodes_positive_code"),
        pl.lit("99").alias("nodes_examined_code"),
        pl.when(pl.col("censdead") == 1).then(pl.lit("0")).otherwise(pl.lit("1"))
        .alias("vital_status"),
        date("deathdate").alias("last_contact_date"),
        (pl.col("survtime") / 30.4375).floor().cast(pl.Int64).cast(pl.Utf8).str.zfill(4)
        .alias("surv_months"),
        pl.when(pl.col("menopause") == 1).then(pl.lit("pre")).otherwise(pl.lit("post"))
        .alias("menopause"),
        pl.when(pl.col("hormone") == 2).then(pl.lit("yes")).otherwise(pl.lit("no"))
        .alias("hormone_therapy"),
        pl.col("size").alias("tumor_size_mm"),
        pl.col("prog_recp").alias("progesterone_receptor"),
        pl.col("estrg_recp").alias("estrogen_receptor"),
        pl.col("rectime").alias("recurrence_free_days"),
        pl.col("censrec").alias("recurrence_or_death"),
    )
    path = Path(path)
    extract.write_csv(path)
    return path
