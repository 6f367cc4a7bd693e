"""``cases`` pairs raw_cases with case_derived by position when the two tables are
in step (issue 16: the join on the keys was most of a registry-wide query), by key
otherwise, and never pairs the wrong rows."""

from __future__ import annotations

import duckdb
import pytest
from helpers import record

import cohort
from cohort.derive.apply import derive_loads
from cohort.registry import pair_cases, sql_dir

BY_KEY = (
    "select r.* exclude (surv_months), d.* exclude (load_id, record_no) "
    "from raw_cases as r join case_derived as d using (load_id, record_no)"
)


def pairing(reg: cohort.Registry) -> str:
    con = duckdb.connect(str(reg.path), read_only=True)
    try:
        sql = con.execute("select sql from duckdb_views() where view_name = 'case_pairs'"
                          ).fetchall()[0][0]
    finally:
        con.close()
    return "by_position" if "POSITIONAL JOIN" in sql.upper() else "by_key"


def assert_cases_are_the_join(reg: cohort.Registry) -> None:
    """Every record of cases carries its own derived values (as the join on the keys)."""
    cols = "load_id, record_no, patient_id, age_at_dx, site_group, node_burden, surv_months"
    got = reg.sql(f"select {cols} from cases order by load_id, record_no").rows()
    expected = reg.sql(f"select {cols} from ({BY_KEY}) order by load_id, record_no").rows()
    assert got == expected and len(got) > 0


@pytest.fixture
def loaded(tmp_path, synth_csv):
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(synth_csv)
    return reg


def test_a_loaded_registry_is_paired_by_position(loaded):
    assert pairing(loaded) == "by_position"
    assert_cases_are_the_join(loaded)


def test_more_loads_a_replaced_load_and_derive_stay_in_step(loaded, write_csv):
    loaded.load(write_csv("a.csv", [record(1), record(2, pos="12")]))
    loaded.load(write_csv("b.csv", [record(3), record(4)]))
    loaded.load(write_csv("a.csv", [record(1), record(2, pos="12")]), replace=True)
    assert pairing(loaded) == "by_position"
    assert_cases_are_the_join(loaded)
    loaded.derive()
    assert pairing(loaded) == "by_position"
    assert_cases_are_the_join(loaded)


def test_records_without_derivation_are_paired_by_key(tmp_path, write_csv):
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(write_csv("a.csv", [record(1), record(2)]))
    reg.load(write_csv("b.csv", [record(3), record(4)]), derive=False)
    assert pairing(reg) == "by_key"
    assert reg.sql("select count(*) from cases").item() == 2  # b.csv not derived yet
    reg.derive()
    assert pairing(reg) == "by_position"
    assert reg.sql("select count(*) from cases").item() == 4


def test_tables_out_of_step_are_paired_by_key_and_never_wrongly(loaded, write_csv):
    loaded.load(write_csv("a.csv", [record(1), record(2, pos="12")]))
    con = duckdb.connect(str(loaded.path))
    try:
        derive_loads(con, [1])  # the first load's rows move to the end of case_derived
        assert pair_cases(con) is False  # so the registry pairs by key
    finally:
        con.close()
    assert_cases_are_the_join(loaded)
    # forced by position while out of step, a query fails instead of mixing records
    con = duckdb.connect(str(loaded.path))
    try:
        con.execute((sql_dir() / "pairing" / "by_position.sql").read_text())
        with pytest.raises(duckdb.Error, match="out of step"):
            con.execute("select count(*), count(node_burden) from cases").fetchall()
    finally:
        con.close()


def test_a_record_without_its_pair_raises_never_drops(loaded, write_csv):
    """Tables that fell out of step after they were paired (a write of one's
    own): the key check raises for a record whose pair is missing (DuckDB's
    error(NULL) would return NULL and drop the row without a word)."""
    con = duckdb.connect(str(loaded.path))
    try:
        con.execute("delete from raw_cases where rowid = (select max(rowid) from raw_cases)")
        with pytest.raises(duckdb.Error, match="out of step"):
            con.execute("select count(*) from cases").fetchall()
    finally:
        con.close()
