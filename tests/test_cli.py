"""The command line, through click's CliRunner: exit codes and output."""

from __future__ import annotations

from click.testing import CliRunner
from helpers import HEADER, record

from cohort.cli import main


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)


def test_load_then_sql(tmp_path, write_csv):
    db = tmp_path / "r.duckdb"
    path = write_csv("a.csv", [record(1), record(2, pos="AB")])
    result = run("load", path, "--db", db)
    assert result.exit_code == 0
    assert "a.csv: read 2 = loaded 1 + rejected 1 (csv, sha256 " in result.output
    assert "rejected 1: nodes_positive_code: nodes_positive_code must be 00-89 count" in result.output
    again = run("load", path, "--db", db)
    assert again.exit_code == 0 and "already loaded" in again.output
    out = run("sql", "select patient_id, nodes_positive_code from cases", "--db", db)
    assert out.exit_code == 0
    assert out.output == (
        "| patient_id | nodes_positive_code |\n"
        "|------------|---------------------|\n"
        "| 1          | 05                  |\n"
    )
    csv = run("sql", "select field, value from rejects", "--db", db, "--format", "csv")
    assert csv.output == "field,value\nnodes_positive_code,AB\n"
    js = run("sql", "select record_no from rejects", "--db", db, "--format", "json")
    assert js.output.strip() == '[{"record_no":2}]'


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
    assert result.exit_code == 0 and result.output == "derived 2 records; see them in the cases view\n"
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
