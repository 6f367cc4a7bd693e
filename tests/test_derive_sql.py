"""The registry's derivation (distinct combinations in DuckDB, polars on those,
one SQL insert with the per-record variables in SQL) gives, record for record
and in the order of raw_cases, what the polars expressions give evaluated on
every record (no distinct combinations), and what :func:`cohort.derive.derive`
gives."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cohort
from cohort.derive import DERIVED_COLUMNS, blocks, derive, input_columns
from cohort.derive.apply import derive_loads
from cohort.derive.eligibility import exclusion_reason, exclusion_step
from cohort.derive.followup import cause, event, event_cancer, surv_months, surv_months_source
from cohort.registry import IN_STEP, sql_files


@pytest.fixture(scope="module")
def pools(tmp_path_factory):
    """Every value each input column takes in a small synthetic registry, with
    null and a value no rule knows: drawn independently per column, they make
    combinations no registry holds."""
    tmp = tmp_path_factory.mktemp("derive_sql")
    reg = cohort.Registry(tmp / "r.duckdb")
    reg.load(cohort.synth.write(tmp / "s.csv", n=3_000, seed=5), derive=False)
    raw = reg.sql("select " + ", ".join(input_columns()) + " from raw_cases")
    out = {}
    for name, dtype in raw.schema.items():
        values = raw[name].drop_nulls().unique().sort().to_list()
        extra = ["ZZ", ""] if dtype == pl.Utf8 else [-1, 0]
        out[name] = (dtype, [None, *extra, *values])
    return out


def _registry(frames: list[pl.DataFrame]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for f in sql_files("schema"):
        con.execute(f.read_text("utf-8"))
    for load_id, frame in enumerate(frames, start=1):
        rows = frame.with_columns(pl.lit(load_id, pl.Int32).alias("load_id"),
                                  pl.int_range(1, frame.height + 1).alias("record_no"))
        con.register("__rows", rows.to_arrow())
        con.execute("insert into raw_cases by name select * from __rows")
        con.unregister("__rows")
    return con


def _row_by_row(raw: pl.DataFrame) -> pl.DataFrame:
    """Every expression on every record, block after block (the reference)."""
    for _, exprs, where in blocks():
        if where is None:
            raw = raw.with_columns(exprs)
        else:  # null outside ``where``, as the derivation defines
            raw = raw.with_columns(pl.when(where).then(e).alias(e.meta.output_name())
                                   for e in exprs)
    return raw.with_columns(
        surv_months(), surv_months_source(), event(), event_cancer(), cause()
    ).with_columns(exclusion_reason(), exclusion_step())


def _same(expected: pl.DataFrame, got: pl.DataFrame) -> None:
    assert got.columns == expected.columns
    for col in got.columns:
        a, b = expected[col], got[col]
        if isinstance(a.dtype, pl.Enum) or isinstance(b.dtype, pl.Enum | pl.Categorical):
            a, b = a.cast(pl.Utf8), b.cast(pl.Utf8)
        assert a.to_list() == b.to_list(), col


def _frames(draw, pools, n_loads):
    frames = []
    for _ in range(n_loads):
        n = draw(st.integers(1, 25))
        data = {name: [draw(st.sampled_from(values)) for _ in range(n)]
                for name, (_, values) in pools.items()}
        frames.append(pl.DataFrame(data, schema={k: t for k, (t, _) in pools.items()}))
    return frames


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(data=st.data())
def test_registry_derivation_equals_polars_row_by_row(pools, data):
    frames = _frames(data.draw, pools, data.draw(st.integers(1, 2)))
    con = _registry(frames)
    written = derive_loads(con, [1, 2][: len(frames)])
    assert written == sum(f.height for f in frames)
    assert con.execute(IN_STEP).fetchall()[0][0]  # case_derived follows raw_cases row for row
    raw = con.sql("select load_id, record_no, " + ", ".join(input_columns())
                  + " from raw_cases order by rowid").pl()
    got = con.sql("select * from case_derived order by rowid").pl()
    keep = ["load_id", "record_no", *DERIVED_COLUMNS]
    _same(_row_by_row(raw).select(keep), got)
    _same(derive(raw).select(keep), got)


def test_rederiving_one_load_keeps_the_others(pools):
    frames = [pl.DataFrame({k: [v[1][i % len(v[1])] for i in range(4)] for k, v in pools.items()},
                           schema={k: t for k, (t, _) in pools.items()})] * 2
    con = _registry(frames)
    derive_loads(con)  # every load (none listed in loads: derives nothing)
    assert con.execute("select count(*) from case_derived").fetchall()[0][0] == 0
    derive_loads(con, [1, 2])
    before = con.sql("select * from case_derived where load_id = 2 order by record_no").pl()
    derive_loads(con, [1])
    after = con.sql("select * from case_derived where load_id = 2 order by record_no").pl()
    assert before.equals(after)
    assert con.execute("select count(*) from case_derived").fetchall()[0][0] == 8
    # no lookup table is left behind
    assert not con.execute("select table_name from duckdb_tables() "
                           "where table_name like '__derive%'").fetchall()


@pytest.mark.parametrize("limit", ["300MB", "4GB"])
def test_memory_limit_capped_while_deriving_and_restored(pools, limit, monkeypatch):
    from cohort.derive import apply

    con = _registry([pl.DataFrame({k: [v[1][1]] for k, v in pools.items()},
                                  schema={k: t for k, (t, _) in pools.items()})])
    con.execute(f"set memory_limit = '{limit}'")
    (before,) = con.execute("select current_setting('memory_limit')").fetchall()[0]
    seen = []
    real = apply._insert_sql

    def spy(shapes):
        seen.append(con.execute("select current_setting('memory_limit')").fetchall()[0][0])
        return real(shapes)

    monkeypatch.setattr(apply, "_insert_sql", spy)
    derive_loads(con, [1])
    # lowered to MEMORY_LIMIT from above, never raised from below
    assert apply._size(seen[0]) <= min(apply._size(before), apply._size(apply.MEMORY_LIMIT))
    assert con.execute("select current_setting('memory_limit')").fetchall()[0][0] == before


def test_lookup_hash_refused_when_not_unique():
    """A lookup is joined on the hash of its keys only when no two of its rows
    hash alike; keys that do not tell its rows apart fail the check."""
    from cohort.derive.apply import _hashed

    con = duckdb.connect()
    con.execute("create table lk as select * from (values ('a', 1), ('a', 2), ('b', 1), "
                "(null, null)) t(x, y)")
    assert _hashed(con, "lk", ["x", "y"])
    con.execute("create table lk2 as select * from (values ('a', 1), ('a', 2)) t(x, y)")
    assert not _hashed(con, "lk2", ["x"])


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(data=st.data())
def test_joined_on_keys_when_hashes_refused(pools, data):
    """The fallback join (every key, ``is not distinct from``) gives the same
    table as the hash join."""
    from cohort.derive import apply

    con = _registry(_frames(data.draw, pools, 2))
    derive_loads(con, [1, 2])
    hashed = con.sql("select * from case_derived order by rowid").pl()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(apply, "_hashed", lambda *a: False)
        derive_loads(con, [1, 2])
    _same(hashed, con.sql("select * from case_derived order by rowid").pl())


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(data=st.data())
def test_expressions_split_by_their_columns_equal_row_by_row(pools, data):
    """Each expression evaluated on the combinations of the columns it reads
    (what blocks of 2,000 combinations or more get) equals row by row."""
    from cohort.derive import apply

    con = _registry(_frames(data.draw, pools, 1))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(apply, "_SPLIT_ROWS", 0)
        derive_loads(con, [1])
    raw = con.sql("select load_id, record_no, " + ", ".join(input_columns())
                  + " from raw_cases order by rowid").pl()
    keep = ["load_id", "record_no", *DERIVED_COLUMNS]
    _same(_row_by_row(raw).select(keep), con.sql("select * from case_derived order by rowid").pl())
