"""The command line, through click's CliRunner: exit codes and output."""

from __future__ import annotations

from click.testing import CliRunner
from helpers import HEADER, record

from cohort.cli import main


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)


def test_load_then_sql(tmp_path, write_csv):
    db = tmp_path / "r.duckdb"
    path = write_csv("a.csv", [record(1), record(2, pos="AB"), record(3, hist="9999")])
    result = run("load", path, "--db", db)
    assert result.exit_code == 0
    assert "a.csv: read 3 = loaded 2 + rejected 1 (csv, sha256 " in result.output
    assert "; 1 invalid values set to unknown in 1 loaded records" in result.output
    assert "rejected 1: histology: histology must be 8000-9993 ICD-O-3 histology" in result.output
    assert ("set to unknown 1: nodes_positive_code: nodes_positive_code must be 00-89 exact "
            "count") in result.output
    assert 'cohort sql "select * from item_edits where load_id = 1"' in result.output
    again = run("load", path, "--db", db)
    assert again.exit_code == 0 and "already loaded" in again.output
    out = run("sql", "select patient_id, nodes_positive_code from cases", "--db", db)
    assert out.exit_code == 0
    assert out.output == (
        "| patient_id | nodes_positive_code |\n"
        "|------------|---------------------|\n"
        "| 1          | 05                  |\n"
        "| 2          |                     |\n"
    )
    csv = run("sql", "select field, value from rejects", "--db", db, "--format", "csv")
    assert csv.output == "field,value\nhistology,9999\n"
    js = run("sql", "select record_no, item, value from item_edits", "--db", db,
             "--format", "json")
    assert js.output.strip() == '[{"record_no":2,"item":"nodes_positive_code","value":"AB"}]'


def test_errors_have_no_traceback(tmp_path, write_csv):
    db = tmp_path / "r.duckdb"
    missing = run("load", tmp_path / "nope.csv", "--db", db)
    assert missing.exit_code == 1
    assert missing.output.startswith("Error: ")
    assert "no such file" in missing.output and "Traceback" not in missing.output
    ident = write_csv("i.csv", [record(1) + ",123-45-6789"], header=HEADER + ",ssn")
    refused = run("load", ident, "--db", db)
    assert refused.exit_code == 1 and "direct identifier" in refused.output
    run("load", write_csv("ok.csv", [record(1)]), "--db", db)
    drop = run("sql", "drop table loads", "--db", db)
    assert drop.exit_code == 1
    assert "read-only" in drop.output and "Traceback" not in drop.output
    bad = run("sql", "selec 1", "--db", db)
    assert bad.exit_code == 1 and "Parser Error" in bad.output


def test_strict_exit_code(tmp_path, write_csv):
    db = tmp_path / "r.duckdb"
    result = run("load", write_csv("s.csv", [record(1, age="-4")]), "--db", db, "--strict")
    assert result.exit_code == 1
    assert "--strict refuses the whole file, nothing was loaded" in result.output


def test_quasi_identifier_notice(tmp_path, write_csv):
    db = tmp_path / "r.duckdb"
    path = write_csv("q.csv", [record(1) + ",12345"], header=HEADER + ",zip_code")
    result = run("load", path, "--db", db)
    assert result.exit_code == 0
    assert "dropped quasi-identifiers: zip_code" in result.output


def test_sql_file_and_usage_errors(tmp_path, write_csv):
    db = tmp_path / "r.duckdb"
    run("load", write_csv("a.csv", [record(1), record(2)]), "--db", db)
    script = tmp_path / "q.sql"
    script.write_text("-- how many\nselect count(*) as n from cases;\nselect 2 as two;\n")
    result = run("sql", "-f", script, "--db", db)
    assert result.exit_code == 0
    assert "| n |" in result.output and "| two |" in result.output
    assert run("sql", "--db", db).exit_code == 2


def test_db_from_environment(tmp_path, write_csv):
    db = tmp_path / "env.duckdb"
    result = run("load", write_csv("a.csv", [record(1)]), env={"COHORT_DB": str(db)})
    assert result.exit_code == 0 and db.exists()


def test_synth_and_demo(tmp_path):
    out = tmp_path / "s.parquet"
    result = run("synth", "--n", 500, "--seed", 3, "-o", out)
    assert result.exit_code == 0 and out.exists()
    assert result.output == f"wrote 500 records to {out} (truth: {out}.truth.json)\n"
    demo = run("demo", "--dir", tmp_path / "demo")
    assert demo.exit_code == 0
    assert "sample_extract.csv: read 20,000 = loaded " in demo.output
    assert "records per site:" in demo.output


def test_help_lists_commands():
    result = run("--help")
    for command in ("demo", "load", "sql", "synth"):
        assert command in result.output


def test_check_and_derive(tmp_path, write_csv):
    db = tmp_path / "r.duckdb"
    path = write_csv("a.csv", [record(1, pos="05", exam="03"), record(2, pos="00", exam="00")])
    assert run("load", path, "--db", db, "--no-derive").exit_code == 0
    empty = run("sql", "select count(*) as n from cases", "--db", db)
    assert "| 0 |" in empty.output
    result = run("derive", "--db", db)
    assert result.exit_code == 0
    assert result.output == "derived 2 records; see them in the cases view\n"
    check = run("check", "--db", db)
    assert check.exit_code == 0
    assert "| positive exceeds examined        | 1       | load 1 record 1 (820=05, 830=03) |" in (
        check.output
    )
    assert "| examined 00 requires positive 98 | 1       | load 1 record 2 (820=00, 830=00) |" in (
        check.output
    )
    assert "| analysed                                    | 2       |" in check.output
    csv = run("check", "--db", db, "--format", "csv", "--table", "node_edits")
    assert csv.output.splitlines()[0] == "edit,records,examples"


def test_load_that_loads_nothing_fails(tmp_path, write_csv):
    """Issue 12: `cohort load` exited 0 after loading 0 of 5,000 records."""
    db = tmp_path / "r.duckdb"
    run("load", write_csv("good.csv", [record(1)]), "--db", db)
    before = run("sql", "select count(*) as n from loads", "--db", db).output
    bad = write_csv("bad.csv", [record(i, site="X504", hist="9999") for i in range(2, 6)]
                    + [record(6, vital="7"), record(7, dx="2015-13-01")])
    result = run("load", bad, "--db", db)
    assert result.exit_code == 1
    assert "bad.csv: no record loaded (6 of 6 rejected). Most frequent reasons: 4 x histology: " \
        "histology must be 8000-9993" in result.output
    assert "; 4 x primary_site: primary_site must be C000-C809" in result.output
    assert "; 1 x dx_date: dx_date must be a date" in result.output
    assert "nothing was loaded" in result.output and "Traceback" not in result.output
    assert run("sql", "select count(*) as n from loads", "--db", db).output == before


def test_max_reject_share_and_keep_partial(tmp_path, write_csv):
    db = tmp_path / "r.duckdb"
    path = write_csv("mix.csv", [record(1), record(2), record(3, site="C999")])
    refused = run("load", path, "--db", db, "--max-reject-share", "0.2")
    assert refused.exit_code == 1
    assert "1 of 3 records rejected (33%, more than the accepted 20%)" in refused.output
    assert "nothing was loaded" in refused.output
    assert not db.exists()  # the refused first load leaves no empty registry
    kept = run("load", path, "--db", db, "--max-reject-share", "0.2", "--keep-partial")
    assert kept.exit_code == 1
    assert "kept anyway as load" in kept.output and "(--keep-partial)" in kept.output
    counts = run("sql", "select (select count(*) from raw_cases) as loaded, "
                 "(select count(*) from rejects) as rejected", "--db", db, "--format", "csv")
    assert counts.output == "loaded,rejected\n2,1\n"
    assert run("load", path, "--db", db).output.count("already loaded") == 1


def test_synth_seerstat_export_then_load(tmp_path):
    for fmt in ("seerstat-labels", "seerstat-numeric"):
        out = tmp_path / f"{fmt}.txt"
        written = run("synth", "--n", 500, "--seed", 3, "-o", out, "--format", fmt)
        assert written.exit_code == 0
        assert f"dictionary: {tmp_path / fmt}.dic" in written.output
        loaded = run("load", out, "--db", tmp_path / f"{fmt}.duckdb")
        assert loaded.exit_code == 0
        assert f"{fmt}.txt: read 500 = loaded 500 + rejected 0 (seerstat" in loaded.output


def test_output_into_a_closed_pipe_stops_quietly(tmp_path, write_csv):
    """cohort km ... | head: the reader leaves; no 'internal error', no traceback."""
    import subprocess
    import sys

    db = tmp_path / "r.duckdb"
    assert run("load", write_csv("a.csv", [record(i) for i in range(1, 30)]), "--db",
               db).exit_code == 0
    proc = subprocess.Popen([sys.executable, "-m", "cohort", "km", "--db", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first line
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert "internal error" not in err and "Traceback" not in err, err
