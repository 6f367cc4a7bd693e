"""Issue 13, items 5 and 6: the SQL door renders every type and never writes."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import duckdb
import pytest
from click.testing import CliRunner
from helpers import HEADER, record

import cohort
from cohort.cli import main
from cohort.errors import NotARegistryError, QueryError, RegistryVersionError


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def reg(registry, write_csv):
    registry.load(write_csv("a.csv", [record(1) + ",blue", record(2, site="X504") + ",red"],
                            header=HEADER + ",colour"))
    return registry


# -- 5. ordinary queries must not crash -------------------------------------------------
QUERIES = [
    "select * from loads",
    "select * from cases limit 1",
    "select extra from raw_cases",
    "select interval 1 day as i",
    "select * from load_summary",
    "select * from superseded",
    "select [1, 2] as l, {'a': 1, 'b': [1, 2]} as s, map {'k': 'v'} as m, "
    "[1, 2]::integer[2] as arr",
    "select 1::hugeint as h, 340282366920938463463374607431768211455::uhugeint as uh, "
    "1.50::decimal(10, 2) as d, 'ab\\x00'::blob as b, '101'::bit as bits, uuid() as u",
    "select '10:00:00+02'::timetz as tz, now()::timestamptz as ts, now()::timestamp_ns as tns, "
    "time '10:00' as t, date '2020-01-01' as d, union_value(k := 1) as un",
    "select 12345678901234567890123::bignum as big, 'nan'::double as nan, 'N1'::node_burden_t "
    "as e, [interval 1 day] as li, null as nothing, 'a,b\n\"c\"' as awkward",
    "summarize raw_cases",
    "describe cases",
]


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One registry for the read-only tests of this module."""
    tmp = tmp_path_factory.mktemp("door")
    path = tmp / "a.csv"
    path.write_text("\n".join([HEADER + ",colour", record(1) + ",blue",
                               record(2, site="X504") + ",red"]) + "\n")
    registry = cohort.Registry(tmp / "r.duckdb")
    registry.load(path)
    return registry


@pytest.mark.parametrize("query", QUERIES)
def test_every_duckdb_type_renders(shared, query):
    before = sha(shared.path)
    for fmt in ("table", "csv", "json"):
        out = run("sql", query, "--db", shared.path, "--format", fmt)
        assert out.exit_code == 0, out.output
        assert "Traceback" not in out.output and "Error" not in out.output.split("\n")[0]
        if fmt == "json":
            json.loads(out.output)
    assert sha(shared.path) == before


def test_nested_values_are_json_text_in_csv(reg):
    out = run("sql", "select load_id, columns_kept_extra, extra from raw_cases join loads "
              "using (load_id) order by record_no", "--db", reg.path, "--format", "csv")
    assert out.output.splitlines() == [
        "load_id,columns_kept_extra,extra",
        '1,"[""colour""]","{""colour"":""blue""}"',
    ]
    js = json.loads(run("sql", "select extra, interval 1 day as i, 1.50::decimal(4,2) as d "
                        "from raw_cases", "--db", reg.path, "--format", "json").output)
    assert js == [{"extra": {"colour": "blue"}, "i": "1 day", "d": "1.50"}]
    big = json.loads(run("sql", "select 340282366920938463463374607431768211455::uhugeint as x",
                         "--db", reg.path, "--format", "json").output)
    assert big == [{"x": "340282366920938463463374607431768211455"}]  # not -1


def test_python_door_returns_every_type(shared):
    df = shared.sql("select interval 1 day as i, union_value(k := 1) as u, [1, 2] as l")
    assert df.row(0) == ("1 day", "1", [1, 2])


@pytest.mark.parametrize("statement", [
    "call enable_logging(storage='file', storage_path='/tmp/cohort-log')",
    "select * from enable_logging(storage='stdout')",
    "set enable_logging = true",
    "set lock_configuration = false",
    "pragma enable_profiling",
    "set threads = 1",
])
def test_settings_and_logging_are_refused_cleanly(shared, statement):
    """`call enable_logging(storage='file')` aborted the process (rc 134)."""
    reg = shared
    before = sha(reg.path)
    script = ("import sys, cohort\n"
              "from cohort.errors import QueryError\n"
              f"reg = cohort.Registry({str(reg.path)!r})\n"
              "try:\n"
              f"    reg.sql({statement!r})\n"
              "except QueryError as exc:\n"
              "    print('refused', str(exc).splitlines()[-1])\n"
              "print(reg.sql('select count(*) as n from loads')['n'].item())\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "refused The SQL door cannot change DuckDB settings" in proc.stdout
    assert proc.stdout.strip().endswith("1")
    assert sha(reg.path) == before


# -- 6. the read door never writes ----------------------------------------------------------
def test_sql_on_a_duckdb_file_that_is_not_a_registry(tmp_path):
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table patients as select 1 as id")
    con.close()
    before = sha(other)
    with pytest.raises(NotARegistryError, match="is a DuckDB database but not a cohort "
                       "registry .it has patients"):
        cohort.Registry(other).sql("select 1")
    out = run("sql", "select 1", "--db", other)
    assert out.exit_code == 1 and "not a cohort registry" in out.output
    assert sha(other) == before
    con = duckdb.connect(str(other), read_only=True)
    assert {r[0] for r in con.execute("show tables").fetchall()} == {"patients"}
    con.close()


def test_load_into_a_foreign_duckdb_file_is_refused(tmp_path, write_csv):
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table patients as select 1 as id")
    con.close()
    before = sha(other)
    with pytest.raises(NotARegistryError):
        cohort.Registry(other).load(write_csv("a.csv", [record(1)]))
    assert sha(other) == before


def _age(path, *, drop_column: bool) -> None:
    """Make a registry look as an older cohort wrote it."""
    con = duckdb.connect(str(path))
    con.execute("update cohort_meta set value = 'older' where key = 'sql_version'")
    con.execute("drop view if exists superseded")
    if drop_column:
        con.execute("drop view load_summary")
        con.execute("drop view cases")
        con.execute("alter table loads drop column blank_lines")
    con.close()


def test_an_older_registry_is_read_as_it_is(reg):
    _age(reg.path, drop_column=False)
    before = sha(reg.path)
    assert reg.sql("select count(*) from superseded").item() == 0  # this version's views
    assert reg.sql("select count(*) from cases").item() == 1
    out = run("km", "--db", reg.path, "--by", "", "--times", "12")
    assert out.exit_code == 0, out.output
    assert sha(reg.path) == before


def test_an_older_registry_missing_columns_asks_for_upgrade(reg):
    _age(reg.path, drop_column=True)
    before = sha(reg.path)
    with pytest.raises(RegistryVersionError, match=r"lacks what this version reads "
                       r"\(loads.blank_lines\); run `cohort upgrade --db "):
        reg.sql("select * from loads")
    assert sha(reg.path) == before
    out = run("upgrade", "--db", reg.path)
    assert out.exit_code == 0 and "upgraded from SQL version older to" in out.output
    assert reg.sql("select blank_lines, in_force from load_summary").row(0) == (0, 1)
    assert "already up to date" in run("upgrade", "--db", reg.path).output


def test_upgrade_adds_the_columns_a_newer_schema_gave_existing_tables(reg, write_csv):
    """A registry written before items were added to raw_cases (laterality,
    say) gains those columns on upgrade, empty, and keeps its records."""
    con = duckdb.connect(str(reg.path))
    con.execute("update cohort_meta set value = 'older' where key = 'sql_version'")
    for view in ("superseded", "load_summary", "cases"):
        con.execute(f"drop view if exists {view}")
    con.execute("alter table raw_cases drop column laterality")
    con.close()
    with pytest.raises(RegistryVersionError, match=r"\(raw_cases.laterality\)"):
        reg.sql("select * from raw_cases")
    out = run("upgrade", "--db", reg.path)
    assert out.exit_code == 0, out.output
    assert reg.sql("select count(*), count(laterality) from raw_cases").row(0) == (1, 0)
    assert reg.sql("select count(*) from cases").item() == 1
    reg.load(write_csv("b.csv", [record(2)]))  # and loads go on
    assert reg.sql("select count(*) from raw_cases").item() == 2


def test_reads_leave_the_file_byte_identical(reg, tmp_path):
    before = sha(reg.path)
    for args in (["sql", "select * from cases"], ["check"], ["km", "--by", ""]):
        assert run(*args, "--db", reg.path).exit_code == 0
    assert sha(reg.path) == before
    with pytest.raises(QueryError, match="read-only"):
        reg.sql("create table t as select 1")
    assert sha(reg.path) == before


def test_benchmark_copy_can_be_queried_read_only(reg, tmp_path):
    """A copy made read-only by the file system is still readable."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(reg.path, copy)
    copy.chmod(0o444)
    try:
        assert cohort.Registry(copy).sql("select count(*) from loads").item() == 1
    finally:
        copy.chmod(0o644)
