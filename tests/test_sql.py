"""The SQL door: read-only, parameters bound, views present, DuckDB's messages."""

from __future__ import annotations

import pytest
from helpers import record, snapshot

from cohort.errors import DatabaseError, QueryError


@pytest.fixture
def reg(registry, write_csv):
    registry.load(write_csv("a.csv", [record(1, age="070"), record(2, age="050"),
                                      record(3, hist="9999"), record(4, age="040", pos="AB")]))
    return registry


@pytest.mark.parametrize(
    "statement",
    [
        "drop table raw_cases",
        "delete from raw_cases",
        "update raw_cases set age_at_dx = 1",
        "insert into loads (file_name) values ('x')",
        "create table t as select 1",
    ],
)
def test_writes_fail_and_change_nothing(reg, statement):
    before = snapshot(reg)
    with pytest.raises(QueryError, match="read-only"):
        reg.sql(statement)
    assert snapshot(reg) == before


def test_no_file_access(reg, tmp_path):
    with pytest.raises(QueryError, match="cannot read or write files"):
        reg.sql(f"copy raw_cases to '{tmp_path / 'leak.csv'}'")
    assert not (tmp_path / "leak.csv").exists()
    with pytest.raises(QueryError, match="cannot read or write files"):
        reg.sql("select * from read_csv('/etc/passwd')")


def test_parameters_are_bound(reg):
    assert reg.sql("select count(*) from cases where age_at_dx > ?", [60]).item() == 1
    hostile = "x' or '1'='1"
    assert reg.sql("select count(*) from cases where patient_id = ?", [hostile]).item() == 0


def test_views_are_present(reg):
    summary = reg.sql("select file_name, rows_read, rows_loaded, rows_rejected, accounted, "
                      "values_edited, records_edited from load_summary")
    assert summary.rows() == [("a.csv", 4, 3, 1, True, 1, 1)]
    reasons = reg.sql("select field, records from reject_reasons")
    assert reasons.rows() == [("histology", 1)]
    edits = reg.sql("select item, records, example_values from item_edit_reasons")
    assert edits.rows() == [("nodes_positive_code", 1, ["AB"])]


def test_query_errors_carry_duckdb_message(reg):
    with pytest.raises(QueryError, match='Table with name no_such_table does not exist'):
        reg.sql("select * from no_such_table")


def test_script_runs_every_statement(reg):
    results = reg.sql_script("-- first\nselect 1 as a;\n-- second\nselect count(*) as n "
                             "from cases where age_at_dx < 60;")
    assert [df.columns for _, df in results] == [["a"], ["n"]]
    assert results[1][1].item() == 2


def test_no_database_yet(registry):
    with pytest.raises(DatabaseError, match="no registry database here; load an extract first"):
        registry.sql("select 1")


def test_reads_inside_a_session_share_its_connection(reg, write_csv):
    """A script's queries inside ``with registry.session()`` (and a second
    Registry of the same file) read through the open session; a load waits
    for the session to end, with a message, and the session is unharmed."""
    import cohort

    with reg.session(memory_limit="1GB") as s:
        n = s.sql("select count(*) as n from cases")["n"].item()
        assert reg.sql("select count(*) as n from cases")["n"].item() == n
        same = cohort.Registry(reg.path.parent / "." / reg.path.name)
        assert same.cohort("true").size == s.cohort("true").size
        with reg.session() as inner:
            assert inner.sql("select 1 as x")["x"].item() == 1
        extract = write_csv("b.csv", [record(9)])
        with pytest.raises(DatabaseError, match="session of this registry is open"):
            reg.load(extract)
        assert s.sql("select count(*) as n from loads")["n"].item() == 1
    (loaded,) = reg.load(extract)
    assert loaded.rows_loaded == 1
    assert reg.sql("select count(*) as n from cases")["n"].item() == n + 1
