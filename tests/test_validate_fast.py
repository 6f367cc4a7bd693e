"""The exact-code fast path of validation stages every value as the full
path (trim, pad, upper-case, check) does; the load's memory limit."""

from __future__ import annotations

import re

import duckdb
import pytest

import cohort
from cohort import codelist, validate
from cohort.errors import InputError
from cohort.items import items
from cohort.load import set_memory_limit
from cohort.readers.base import Source, quote_ident


def variants(code: str) -> list[str]:
    """A code as extracts write it: exact, padded with spaces, unpadded,
    in lower case, with a dot, and values that are not codes at all."""
    out = [code, f" {code}", f"{code} ", code.lstrip("0") or "0", code.lower(), f"{code}0",
           f"{code[:1]}.{code[1:]}"]
    return out


def column_values(item) -> list[str]:
    codes = codelist.all_codes(item.codes)
    picked = codes if len(codes) <= 40 else codes[:: max(1, len(codes) // 40)] + codes[-3:]
    return [v for c in picked for v in variants(c)] + ["", " ", "X", "x9", "99999", "-1",
                                                       "0.5", "Blank"]


def staged(con: duckdb.DuckDBPyConnection, fast: bool, monkeypatch) -> list[tuple]:
    names = [it.name for it in items() if validate.fast_pattern(it)]
    assert len(names) > 40  # the common code items take the fast path
    values = {name: column_values(next(i for i in items() if i.name == name))
              for name in names}
    longest = max(len(v) for v in values.values())
    rows = [[values[n][i % len(values[n])] for n in names] for i in range(longest)]
    con.execute("create or replace temp table src as select * from (values "
                + ", ".join("(" + ", ".join("'" + v.replace("'", "''") + "'" for v in row) + ")"
                            for row in rows)
                + ") as t(" + ", ".join(quote_ident(n) for n in names) + ")")
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(validate, "fast_pattern", lambda item: None)
        source = Source("csv", "src", {}, names)
        sql, params = validate.staging_query(source, {n: [n] for n in names}, [])
    validate.prepare(con)
    return con.execute(f"select * from ({sql}) order by all", params).fetchall()


def test_fast_path_stages_every_value_as_the_full_path(monkeypatch):
    con = duckdb.connect()
    fast = staged(con, True, monkeypatch)
    full = staged(con, False, monkeypatch)
    assert len(fast) > 400
    assert fast == full
    # and the fast path was taken: its flags are in the query
    sql, _ = validate.staging_query(Source("csv", "src", {}, ["sex"]), {"sex": ["sex"]}, [])
    assert '"__f0_sex"' in sql


def test_fast_items_codes_match_their_pattern_untrimmed():
    for it in items():
        pattern = validate.fast_pattern(it)
        if pattern is None:
            continue
        for code in codelist.all_codes(it.codes):
            assert re.fullmatch(pattern, code), (it.name, code)
            assert code == code.strip()


def test_memory_limit_is_checked_and_applied(tmp_path, write_csv):
    con = duckdb.connect()
    set_memory_limit(con, "800MB")
    assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "762.9 MiB"
    for bad, says in (("lots", "not a size"), ("1.5", "not a size"), ("10MB", "too small")):
        with pytest.raises(InputError, match=says):
            set_memory_limit(con, bad)
    from helpers import record

    path = write_csv("x.csv", [record(i) for i in range(1, 4)])
    reg = cohort.Registry(tmp_path / "r.duckdb")
    (result,) = reg.load(path, memory_limit="300MB")
    assert result.rows_loaded == 3
    with pytest.raises(InputError, match="too small"):
        reg.load(path, memory_limit="1MB", replace=True)
