"""Property: the same records written as a SEER*Stat labels export, a numeric
export, NAACCR XML and CSV load to identical ``cases``.

Records are synthetic (``cohort.synth``), restricted to the items a SEER*Stat
case listing carries (year of diagnosis, not the date; vital status recode;
no date of last contact), with values blanked or set to their unknown code at
random. Three columns of ``cases`` say how the file wrote a value rather
than what it is, and are left out of the comparison: ``dx_date_code`` and
``dx_year_code`` (NAACCR XML has no year-only item, so it writes the year as
a partial date of diagnosis, while a case listing has a year variable; the
year itself, ``dx_year``, is compared) and ``cod_site_recode`` (a SEER recode
with no NAACCR item). Everything else, derived variables included,
must be equal, and so must the rejects and the item edits, counted by item.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import cohort
from cohort.synth import XML_HEAD, _write_xml, frames
from cohort.synth_seerstat import write_export

COMMON = ["patient_id", "tumor_seq", "sex", "age_at_dx", "dx_date", "primary_site",
          "histology", "behavior", "reporting_source", "nodes_positive_code",
          "nodes_examined_code", "surv_months", "surv_flag", "vital_status_recode",
          "cause_specific_death", "other_cause_death"]
# values a record may lose: blank (None), or the item's own code for unknown
UNKNOWN = {"nodes_examined_code": [None, "99"], "surv_flag": [None, "9"],
           "reporting_source": [None], "cause_specific_death": [None, "8"],
           "surv_months": ["9999"], "age_at_dx": ["999"], "nodes_positive_code": [None]}
IGNORED = ["load_id", "extra", "dx_date_code", "dx_year_code", "cod_site_recode"]


def records(seed: int, n: int, changes: list[tuple[int, str, int]]) -> pl.DataFrame:
    df, _, _ = next(frames(n, seed))
    df = df.with_columns(pl.col("dx_date").str.slice(0, 4),  # a case listing has the year
                         pl.col("vital_status").alias("vital_status_recode"))
    for row, item, choice in changes:
        if row < df.height:
            values = UNKNOWN[item]
            value = values[choice % len(values)]
            df = df.with_columns(
                pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value, pl.Utf8))
                .otherwise(pl.col(item)).alias(item))
    return df


def load(tmp: Path, path: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    reg = cohort.Registry(tmp / (path.name + ".duckdb"))
    (result,) = reg.load(path, max_reject_share=1)
    assert result.rows_read == result.rows_loaded + result.rows_rejected
    cases = reg.sql(f"select * exclude ({', '.join(IGNORED)}) from cases order by record_no")
    rejects = reg.sql("select record_no, field from rejects order by all")
    edits = reg.sql("select record_no, item from item_edits order by all")
    return cases, rejects, edits


changes = st.lists(
    st.tuples(st.integers(0, 39), st.sampled_from(sorted(UNKNOWN)), st.integers(0, 1)),
    max_size=12,
)


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), changes=changes)
def test_four_formats_load_to_identical_cases(seed, n, changes):
    df = records(seed, n, changes)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        labels = tmp / "labels.txt"
        write_export([df], labels, new_items=False)  # the items of COMMON only
        numeric = tmp / "numeric.gz"  # gzip-compressed, as SEER*Stat writes a .gz
        write_export([df], numeric, numeric=True, new_items=False)
        csv = tmp / "records.csv"
        df.select(COMMON).write_csv(csv)
        xml = tmp / "records.xml"
        with open(xml, "wb") as fh:
            fh.write(XML_HEAD.encode())
            _write_xml(fh, df.select(COMMON))
            fh.write(b"</NaaccrData>\n")
        results = [load(tmp, p) for p in (labels, numeric, xml, csv)]
    reference = results[-1]
    assert reference[0].height + reference[1]["record_no"].n_unique() == n
    for got in results[:-1]:
        assert_frame_equal(got[0], reference[0])
        assert_frame_equal(got[1], reference[1])
        assert_frame_equal(got[2], reference[2])
