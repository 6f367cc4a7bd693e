"""The hand-written raw_cases DDL in sql/ agrees with the alias table."""

from __future__ import annotations

import duckdb

from cohort.items import items
from cohort.registry import sql_files
from cohort.validate import typed_select


def test_raw_cases_columns_follow_items_csv():
    con = duckdb.connect()
    for f in sql_files("schema"):
        con.execute(f.read_text())
    ddl = [r[0] for r in con.execute("describe raw_cases").fetchall()]
    cols = ", ".join(f'cast(null as varchar) as "{it.name}"' for it in items())
    con.execute(f"create table staging as select 1::bigint as record_no, {cols}, "
                "cast(null as map(varchar, varchar)) as extra")
    produced = [r[0] for r in con.execute(f"describe {typed_select('staging', 1)}").fetchall()]
    # superseded_by is bookkeeping set by cohort load --supersede, not an item
    assert sorted(c for c in ddl if c != "superseded_by") == sorted(produced)
    for it in items():
        assert it.name in ddl


def test_every_sql_file_has_a_header_comment():
    for layer in ("schema", "views"):
        for f in sql_files(layer):
            assert f.read_text().startswith("-- "), f
