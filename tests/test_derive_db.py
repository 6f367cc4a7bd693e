"""Derived variables in the registry database: truth, SQL = polars, attrition."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from helpers import record, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cohort
from cohort.derive import DERIVED_COLUMNS, derive, input_columns
from cohort.derive.ene import ENE_LEVELS
from cohort.derive.followup import CAUSE_LEVELS
from cohort.derive.nodes import NODE_STATUS_LEVELS
from cohort.derive.tables import NODE_BURDEN_LEVELS, SITE_GROUPS
from cohort.registry import sql_files


@pytest.fixture(scope="module")
def synth_reg(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("derive")
    path = cohort.synth.write(tmp / "synth.csv", n=20_000, seed=21)
    reg = cohort.Registry(tmp / "r.duckdb")
    reg.load(path)
    return reg, path


def test_node_burden_agrees_with_generator_truth(synth_reg):
    reg, path = synth_reg
    truth = pl.read_parquet(str(path) + ".truth.parquet")
    derived = reg.sql(
        "select patient_id, tumor_seq, site_group::varchar as site_group, "
        "node_burden::varchar as node_burden from cases"
    )
    joined = derived.join(truth, on=["patient_id", "tumor_seq"], suffix="_true")
    assert joined.height == derived.height == reg.sql("select count(*) from raw_cases").item()
    assert (joined["site_group"] == joined["site_group_true"]).all()
    assert (joined["node_burden"] == joined["node_burden_true"]).all()
    # the truth covers every category the generator draws
    assert joined["node_burden_true"].n_unique() >= 12


def test_sql_and_polars_agree(synth_reg):
    reg, _ = synth_reg
    raw = reg.sql(
        "select " + ", ".join(["load_id", "record_no", *input_columns()])
        + " from raw_cases order by load_id, record_no"
    )
    expected = derive(raw).select("load_id", "record_no", *DERIVED_COLUMNS)
    result = reg.sql(
        "select load_id, record_no, " + ", ".join(DERIVED_COLUMNS)
        + " from cases order by load_id, record_no"
    )
    for col in DERIVED_COLUMNS:
        a = expected[col]
        b = result[col]
        if a.dtype == pl.Enum or b.dtype == pl.Categorical:
            a, b = a.cast(pl.Utf8), b.cast(pl.Utf8)
        assert a.to_list() == b.to_list(), col


def test_attrition_sums(synth_reg):
    reg, _ = synth_reg
    att = reg.sql("select * from attrition")
    records_in = att.filter(pl.col("stage") == "records in")["records"].item()
    analysed = att.filter(pl.col("stage") == "analysed")["records"].item()
    assert records_in == reg.sql("select count(*) from cases").item()
    assert records_in == analysed + att["excluded"].sum()
    assert att["stage"].to_list()[1:7] == [
        "excluded: death certificate or autopsy only",
        "excluded: unknown survival time",
        "excluded: unknown vital status",
        "excluded: age unknown",
        "excluded: in situ or benign",
        "excluded: not the first primary",
    ]
    by_reason = reg.sql(
        "select exclusion_reason, count(*) as n from cases group by 1"
    )
    assert by_reason["n"].sum() == records_in


def test_node_burden_orders_clinically_in_sql(synth_reg):
    reg, _ = synth_reg
    order = reg.sql(
        "select distinct node_burden::varchar as b, node_burden from cases "
        "where site_group = 'colon' order by node_burden"
    )["b"].to_list()
    assert order == ["N0", "N1 NOS", "N1a", "N1b", "N1c", "N2a", "N2b", "NX"]


def test_rederive_is_idempotent(synth_reg, tmp_path):
    reg, path = synth_reg
    copy = cohort.Registry(tmp_path / "copy.duckdb")
    copy.load(path)
    before = copy.sql("select * from case_derived order by all").rows()
    assert copy.derive() == copy.sql("select count(*) from raw_cases").item()
    assert copy.sql("select * from case_derived order by all").rows() == before


def test_load_without_derive_then_derive(write_csv, tmp_path):
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(write_csv("a.csv", [record(1), record(2, pos="12")]), derive=False)
    assert reg.sql("select count(*) from cases").item() == 0
    reg.derive()
    assert reg.sql("select node_burden::varchar as b from cases order by record_no")[
        "b"].to_list() == ["N2", "N3"]


def test_replace_rederives(write_csv, tmp_path):
    reg = cohort.Registry(tmp_path / "r.duckdb")
    path = write_csv("a.csv", [record(1), record(2)])
    reg.load(path)
    reg.load(path, replace=True)
    assert reg.sql("select count(*) from case_derived").item() == 2
    assert reg.sql("select count(*) from cases").item() == 2


def test_a_failed_derivation_rolls_back_the_load(write_csv, tmp_path, monkeypatch):
    reg = cohort.Registry(tmp_path / "r.duckdb")
    reg.load(write_csv("a.csv", [record(1)]))
    before = snapshot(reg)
    import cohort.registry as registry_module

    def broken(con, ids=None, **kw):
        raise RuntimeError("derivation failed")

    monkeypatch.setattr(registry_module, "derive_loads", broken)
    with pytest.raises(RuntimeError):
        reg.load(write_csv("b.csv", [record(2)]))
    assert snapshot(reg) == before


def test_enum_levels_in_sql_match_python():
    con = duckdb.connect()
    for f in sql_files("schema"):
        con.execute(f.read_text())
    levels = {
        name: con.execute(f"select enum_range(null::{name})").fetchone()[0]
        for name in ("site_group_t", "node_status_t", "node_burden_t", "ene_t", "cause_t")
    }
    assert levels == {
        "site_group_t": list(SITE_GROUPS),
        "node_status_t": list(NODE_STATUS_LEVELS),
        "node_burden_t": list(NODE_BURDEN_LEVELS),
        "ene_t": list(ENE_LEVELS),
        "cause_t": list(CAUSE_LEVELS),
    }
    ddl = [r[0] for r in con.execute("describe case_derived").fetchall()]
    assert ddl == ["load_id", "record_no", *DERIVED_COLUMNS]


codes = st.sampled_from(["00", "01", "03", "05", "09", "12", "90", "95", "97", "98", "99"])
exams = st.sampled_from(["00", "02", "10", "20", "90", "95", "96", "97", "98", "99"])
rows = st.lists(
    st.tuples(codes, exams, st.sampled_from(["1", "6", "7"]), st.sampled_from(["2", "3"]),
              st.sampled_from(["00", "01", "02"]), st.sampled_from(["065", "999"]),
              st.sampled_from(["0060", "9999"])),
    min_size=1, max_size=30,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows)
def test_every_record_one_exclusion_or_none(rows, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prop")
    lines = []
    for i, (pos, exam, source, beh, seq, age, months) in enumerate(rows):
        lines.append(record(i + 1, pos=pos, exam=exam, beh=beh, seq=seq, age=age,
                            months=months) + f",{source}")
    path = tmp / "p.csv"
    from helpers import HEADER

    path.write_text("\n".join([HEADER + ",reporting_source", *lines]) + "\n")
    reg = cohort.Registry(tmp / "r.duckdb")
    (result,) = reg.load(path)
    cases = reg.sql("select exclusion_reason, exclusion_step from cases")
    assert cases.height == result.rows_loaded
    # a reason exactly when a step; every record at most one
    assert (cases["exclusion_reason"].is_null() == cases["exclusion_step"].is_null()).all()
    att = reg.sql("select * from attrition")
    analysed = att.filter(pl.col("stage") == "analysed")["records"].item()
    assert analysed + att["excluded"].sum() == result.rows_loaded
