"""Bad input: each case gives a clear error or a reject row, and loses nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest
from helpers import HEADER, record, snapshot

import cohort
from cohort.errors import (
    ColumnError,
    DatabaseError,
    DatabaseLockedError,
    InputError,
    LoadInterrupted,
)


@pytest.fixture
def loaded(registry, write_csv):
    """A registry that already holds one good file, and its snapshot."""
    registry.load(write_csv("good.csv", [record(100), record(101)]))
    return registry, snapshot(registry)


def test_empty_file(loaded, tmp_path):
    reg, before = loaded
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty.csv: the file is empty; export the extract again"):
        reg.load(path)
    assert snapshot(reg) == before


def test_header_only(loaded, write_csv):
    reg, before = loaded
    with pytest.raises(InputError, match="has a header but no records"):
        reg.load(write_csv("header.csv", []))
    assert snapshot(reg) == before


def test_wrong_delimiter(loaded, tmp_path):
    reg, before = loaded
    path = tmp_path / "colon.csv"
    path.write_text("\n".join(line.replace(",", ":") for line in [HEADER, record(1)]) + "\n")
    with pytest.raises(ColumnError) as err:
        reg.load(path)
    assert "header was read as one column" in str(err.value)
    assert snapshot(reg) == before


def test_truncated_last_line_is_a_reject_with_its_line(registry, tmp_path):
    path = tmp_path / "truncated.csv"
    path.write_text("\n".join([HEADER, record(1), record(2), "3,00,2,065,2015"]))
    (result,) = registry.load(path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    row = registry.sql("select record_no, line_no, value, reason from rejects").row(0)
    assert row[:3] == (3, 4, "3,00,2,065,2015")
    assert "too few fields" in row[3]


def test_non_utf8_bytes_are_rejected_and_records_renumbered(registry, tmp_path):
    path = tmp_path / "latin1.csv"
    lines = [HEADER, record(1), record(2, site="C50\xe9"), record(3), record(4)]
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    (result,) = registry.load(path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 3, 1)
    reject = registry.sql("select record_no, line_no, reason from rejects").row(0)
    assert reject[:2] == (2, 3)
    assert "not valid UTF-8" in reject[2]
    # records after the bad line keep their own numbers
    got = registry.sql("select patient_id, record_no from raw_cases order by record_no").rows()
    assert got == [
        ("1", 1),
        ("3", 3),
        ("4", 4),
    ]


@pytest.mark.parametrize(
    ("kwargs", "field", "value", "reason"),
    [
        ({"dx": "20151345"}, "dx_date", "20151345", "dx_date must be a date"),
        ({"site": "X504"}, "primary_site", "X504", "primary_site must be C000-C809"),
        # issue 13: values that loaded although no code list holds them
        ({"site": "C999"}, "primary_site", "C999", "primary_site must be C000-C809"),
        ({"hist": "9999"}, "histology", "9999", "histology must be 8000-9993"),
        ({"hist": "7999"}, "histology", "7999", "histology must be 8000-9993"),
        ({"beh": "6"}, "behavior", "6", "behavior must be 0 benign; 1 uncertain"),
        ({"seq": "93"}, "tumor_seq", "93", "tumor_seq must be 00 one in situ"),
        ({"vital": "2"}, "vital_status", "2", "vital_status must be 0,4 dead"),
        ({"months": "12a"}, "surv_months", "12a", "surv_months must be 0000-9998"),
    ],
)
def test_bad_keys_become_rejects(registry, write_csv, kwargs, field, value, reason):
    (result,) = registry.load(write_csv("bad.csv", [record(1), record(2, **kwargs)]))
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    row = registry.sql("select file_name, record_no, line_no, field, value, reason "
                       "from rejects").row(0)
    assert row[:5] == ("bad.csv", 2, 3, field, value)
    assert row[5].startswith(reason)


@pytest.mark.parametrize(
    ("kwargs", "item", "value"),
    [
        ({"pos": "AB"}, "nodes_positive_code", "AB"),
        ({"pos": "150"}, "nodes_positive_code", "150"),
        ({"pos": "93"}, "nodes_positive_code", "93"),
        ({"exam": "93"}, "nodes_examined_code", "93"),
        ({"age": "-5"}, "age_at_dx", "-5"),
        ({"age": "121"}, "age_at_dx", "121"),
        ({"age": "130+"}, "age_at_dx", "130+"),
        # issue 13: sex 0, 7 and 8 loaded although the message said 1, 2, 3-6, 9
        ({"sex": "0"}, "sex", "0"),
        ({"sex": "7"}, "sex", "7"),
        ({"sex": "8"}, "sex", "8"),
    ],
)
def test_bad_values_of_other_items_are_unknown_and_listed(registry, write_csv, kwargs, item,
                                                          value):
    (result,) = registry.load(write_csv("bad.csv", [record(1), record(2, **kwargs)]))
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert (result.values_edited, result.records_edited) == (1, 1)
    edit = registry.sql("select file_name, record_no, line_no, item, value, reason "
                        "from item_edits").row(0)
    assert edit[:5] == ("bad.csv", 2, 3, item, value)
    assert edit[5].startswith(f"{item} must be ") and edit[5].endswith("; set to unknown")
    # the record loaded with the value unknown, and the rest of it intact
    column = "age_at_dx_code" if item == "age_at_dx" else item
    got = registry.sql(f"select {column}, histology, node_status::varchar from cases "
                       "where record_no = 2").row(0)
    assert got[:2] == (None, "8500")
    if item == "nodes_positive_code":
        assert got[2] == "NX"  # unknown node count


@pytest.mark.parametrize("sex", ["1", "2", "3", "4", "5", "6", "9"])
def test_every_listed_sex_code_loads(registry, write_csv, sex):
    (result,) = registry.load(write_csv("s.csv", [record(1, sex=sex)]))
    assert (result.rows_loaded, result.values_edited) == (1, 0)


def test_future_dates_reject_and_contact_before_diagnosis_is_an_edit(registry, tmp_path):
    from datetime import date, timedelta

    tomorrow = (date.today() + timedelta(days=1)).strftime("%Y%m%d")
    next_year = str(date.today().year + 1)
    header = HEADER + ",last_contact_date"
    lines = [
        record(1) + ",20200101",
        record(2, dx=tomorrow) + ",",
        record(3) + f",{next_year}0101",
        record(4, dx="20150302") + ",20150301",  # one day before diagnosis
        record(5, dx="201503") + ",201502",  # a month before, partial dates
        record(6, dx="2015") + ",201503",  # same year: cannot tell, so not an error
        record(7, dx="20150302") + ",20150302",  # same day: zero follow-up, valid
        record(8, dx=next_year) + ",",
    ]
    path = tmp_path / "dates.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    (result,) = registry.load(path)
    assert (result.rows_loaded, result.rows_rejected) == (5, 3)
    rejects = registry.sql("select record_no, field, value, reason from rejects "
                           "order by record_no").rows()
    assert [r[:3] for r in rejects] == [
        (2, "dx_date", tomorrow),
        (3, "last_contact_date", f"{next_year}0101"),
        (8, "dx_date", next_year),
    ]
    assert "after the day of the load" in rejects[0][3]
    # NAACCR's 'Date of Last Contact, Date of Diagnosis' edit: listed, date set unknown
    edits = registry.sql("select record_no, item, value, reason from item_edits "
                         "order by record_no").rows()
    assert [e[:3] for e in edits] == [
        (4, "last_contact_date", "20150301 (diagnosis 20150302)"),
        (5, "last_contact_date", "201502 (diagnosis 201503)"),
    ]
    assert "before the diagnosis" in edits[0][3]
    got = registry.sql("select record_no, last_contact_date_code from raw_cases "
                       "order by record_no").rows()
    assert got == [(1, "20200101"), (4, None), (5, None), (6, "201503"), (7, "20150302")]


def test_blank_required_value_is_a_reject(registry, write_csv):
    (result,) = registry.load(write_csv("blank.csv", [record(""), record(2)]))
    assert result.rows_rejected == 1
    reason = registry.sql("select field, reason from rejects").row(0)
    assert reason == ("patient_id", "patient_id is blank; every record needs one "
                      "(any identifier of 1-20 letters, digits, - or _)")


def test_not_a_csv_at_all(loaded, tmp_path):
    reg, before = loaded
    path = tmp_path / "picture.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InputError, match="binary file, not a CSV or Parquet extract"):
        reg.load(path)
    assert snapshot(reg) == before


def test_directory(loaded, tmp_path):
    reg, before = loaded
    with pytest.raises(InputError, match="is a directory; give the extract files inside it"):
        reg.load(tmp_path)
    assert snapshot(reg) == before


def test_missing_file(loaded, tmp_path):
    reg, before = loaded
    with pytest.raises(InputError, match="no such file; check the path"):
        reg.load(tmp_path / "nope.csv")
    assert snapshot(reg) == before


def test_database_in_a_folder_that_cannot_be_written(write_csv, tmp_path):
    path = write_csv("a.csv", [record(1)])
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(DatabaseError, match="does not exist; create it or choose another --db"):
        cohort.Registry(blocker / "registry.duckdb").load(path)
    # /proc refuses new files even for root
    with pytest.raises(DatabaseError, match="check that the folder is writable"):
        cohort.Registry("/proc/registry.duckdb").load(path)


def test_read_only_folder(write_csv, tmp_path):
    path = write_csv("a.csv", [record(1)])
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        probe = folder / "probe"
        try:
            probe.touch()
            probe.unlink()
            writable_anyway = True  # running as root: permissions do not bind
        except PermissionError:
            writable_anyway = False
        if writable_anyway:
            (result,) = cohort.Registry(folder / "registry.duckdb").load(path)
            assert result.rows_loaded == 1
        else:
            with pytest.raises(DatabaseError, match="check that the folder is writable"):
                cohort.Registry(folder / "registry.duckdb").load(path)
    finally:
        folder.chmod(0o755)


def test_second_process_loading_the_same_database(loaded, write_csv):
    reg, before = loaded
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(reg.path)!r})
                print("ready", flush=True)
                sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseLockedError, match="in use by another process"):
            reg.load(write_csv("later.csv", [record(7)]))
    finally:
        holder.communicate("done\n", timeout=30)
    assert snapshot(reg) == before
    (result,) = reg.load(write_csv("later.csv", [record(7)]))
    assert result.rows_loaded == 1


def test_failure_midway_leaves_the_database_as_it_was(loaded, write_csv, monkeypatch):
    reg, before = loaded
    import cohort.load as load_module

    def boom(con, rec, **kwargs):
        raise KeyboardInterrupt  # as if the analyst pressed Ctrl-C mid-load

    monkeypatch.setattr(load_module, "_flag_duplicates", boom)
    with pytest.raises(LoadInterrupted, match="rolled back, nothing from it was written"):
        reg.load(write_csv("c.csv", [record(8), record(9)]))
    assert snapshot(reg) == before


def test_killed_process_leaves_the_database_as_it_was(loaded, tmp_path):
    reg, before = loaded
    big = cohort.synth.write(tmp_path / "big.csv", n=300_000, seed=3)
    script = textwrap.dedent(
        f"""
        import cohort, cohort.load as m, os, signal
        real = m._flag_duplicates
        def die(con, rec, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)  # killed after staging, before commit
        m._flag_duplicates = die
        cohort.Registry({str(reg.path)!r}).load({str(big)!r})
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert proc.returncode == -9
    assert snapshot(reg) == before


@pytest.mark.parametrize("bad", ["missing", "identifier", "memory"])
def test_refused_first_load_leaves_no_database(write_csv, tmp_path, bad):
    """A database that did not exist before a refused load does not exist after
    it: no empty registry is left behind to be mistaken for a loaded one."""
    db = tmp_path / "new.duckdb"
    path, options = tmp_path / "nope.csv", {}
    if bad == "identifier":
        path = write_csv("i.csv", [record(1) + ",123-45-6789"], header=HEADER + ",ssn")
    if bad == "memory":
        path, options = write_csv("a.csv", [record(1)]), {"memory_limit": "lots"}
    with pytest.raises(InputError):
        cohort.Registry(db).load(path, **options)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("new.")) == []


def test_refused_load_keeps_an_existing_empty_registry(write_csv, tmp_path):
    db = tmp_path / "r.duckdb"
    cohort.Registry(db).load(write_csv("a.csv", [record(1)]))
    with duckdb.connect(str(db)) as con:
        con.execute("delete from case_derived; delete from raw_cases; delete from loads")
    with pytest.raises(InputError):
        cohort.Registry(db).load(tmp_path / "nope.csv")
    assert db.is_file()
