"""Bad input: each case gives a clear error or a reject row, and loses nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
    numbers = registry.sql("select patient_id, record_no from raw_cases order by record_no")
    assert numbers.rows() == [
        ("1", 1),
        ("3", 3),
        ("4", 4),
    ]


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"pos": "AB"}, "nodes_positive_code", "AB"),
        ({"pos": "150"}, "nodes_positive_code", "150"),
        ({"exam": "93"}, "nodes_examined_code", "93"),
        ({"age": "-5"}, "age_at_dx", "-5"),
        ({"age": "121"}, "age_at_dx", "121"),
        ({"dx": "20151345"}, "dx_date", "20151345"),
        ({"site": "X504"}, "primary_site", "X504"),
        ({"vital": "2"}, "vital_status", "2"),
    ],
)
def test_bad_codes_become_rejects(registry, write_csv, kwargs, field, value):
    (result,) = registry.load(write_csv("bad.csv", [record(1), record(2, **kwargs)]))
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert registry.sql("select file_name, record_no, line_no, field, value from rejects").row(
        0
    ) == ("bad.csv", 2, 3, field, value)


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
