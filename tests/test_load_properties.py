"""Invariants of loading, for random mixtures of valid and invalid records."""

from __future__ import annotations

import tempfile
from pathlib import Path

from helpers import HEADER, record, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cohort

BAD = {
    "pos": ["AB", "150", "9X", "91"],
    "age": ["-5", "abc", "130"],
    "site": ["Z999", "C5"],
    "dx": ["2015130", "18990101", "20150230"],
    "vital": ["2", "x"],
}

records = st.lists(
    st.one_of(
        st.just({}),
        st.sampled_from(sorted(BAD)).flatmap(
            lambda k: st.sampled_from(BAD[k]).map(lambda v, k=k: {k: v})
        ),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=records, truncate=st.booleans())
def test_read_equals_loaded_plus_rejected(records, truncate):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lines = [record(i + 1, **kw) for i, kw in enumerate(records)]
        if truncate:
            lines[-1] = lines[-1][: len(lines[-1]) // 2]
        path = tmp / "mix.csv"
        path.write_text("\n".join([HEADER, *lines]) + "\n")
        reg = cohort.Registry(tmp / "r.duckdb")
        (result,) = reg.load(path)
        n_bad = sum(1 for kw in records if kw) + (
            1 if truncate and not records[-1] else 0
        )
        assert result.rows_read == len(records)
        assert result.rows_rejected == n_bad
        assert result.rows_loaded + result.rows_rejected == result.rows_read
        in_db = reg.sql(
            "select (select count(*) from raw_cases) + "
            "(select count(distinct record_no) from rejects)"
        ).item()
        assert in_db == result.rows_read
        # record numbers in the two tables partition 1..n
        numbers = reg.sql(
            "select record_no from raw_cases union all "
            "select distinct record_no from rejects order by 1"
        )["record_no"].to_list()
        assert numbers == list(range(1, len(records) + 1))
        # loading the same file again changes nothing
        before = snapshot(reg)
        (again,) = reg.load(path)
        assert again.skipped
        assert snapshot(reg) == before
