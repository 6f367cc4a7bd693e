"""Invariants of loading, for random mixtures of valid and invalid records."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from helpers import HEADER, record, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cohort
from cohort.errors import LoadRefusedError

# invalid identity or analysis keys reject the record ...
BAD = {
    "site": ["Z999", "C5", "C999"],
    "dx": ["2015130", "18990101", "20150230"],
    "vital": ["2", "x"],
    "hist": ["9999"],
}
# ... any other invalid value is set to unknown and the record loads
EDITED = {
    "pos": ["AB", "150", "9X", "91"],
    "age": ["-5", "abc", "130"],
    "sex": ["0", "7"],
}

def _one_bad(table):
    return st.sampled_from(sorted(table)).flatmap(
        lambda k: st.sampled_from(table[k]).map(lambda v, k=k: {k: v})
    )


records = st.lists(
    st.one_of(st.just({}), _one_bad(BAD), _one_bad(EDITED)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
        rejected = [bool(set(kw) & set(BAD)) for kw in records]
        if truncate:
            rejected[-1] = True
        if all(rejected):  # a file that loads nothing is refused, and leaves no trace
            with pytest.raises(LoadRefusedError, match="no record loaded"):
                reg.load(path, max_reject_share=1)
            assert snapshot(reg) == {}  # a refused first load leaves no database
            return
        (result,) = reg.load(path, max_reject_share=1)
        edited = [bool(set(kw) & set(EDITED)) and not r
                  for kw, r in zip(records, rejected, strict=True)]
        assert result.rows_read == len(records)
        assert result.rows_rejected == sum(rejected)
        assert result.rows_loaded + result.rows_rejected == result.rows_read
        assert result.records_edited == result.values_edited == sum(edited)
        # edits belong to loaded records only
        assert reg.sql("select count(*) from item_edits anti join raw_cases "
                       "using (load_id, record_no)").item() == 0
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
