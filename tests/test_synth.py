"""The synthetic extract: reproducible, realistic codes, truth sidecar."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest

import cohort


def test_reproducible_and_truth_written(tmp_path):
    a = cohort.synth.write(tmp_path / "a.csv", n=3000, seed=5)
    b = cohort.synth.write(tmp_path / "b.csv", n=3000, seed=5)
    assert a.read_bytes() == b.read_bytes()
    truth = json.loads((tmp_path / "a.csv.truth.json").read_text())
    assert truth["n"] == 3000 and truth["seed"] == 5
    assert truth["hazard_ratio"]["breast"] == {"N0": 1.0, "N1": 1.6, "N2": 2.6, "N3": 4.0}
    assert truth["hazard_ratio"]["colon"]["N2b"] == 3.8


def test_code_mix(tmp_path):
    path = cohort.synth.write(tmp_path / "s.csv", n=20_000, seed=9)
    df = pl.read_csv(path, infer_schema=False)
    pos = set(df["nodes_positive_code"].drop_nulls())
    assert {"00", "01", "95", "97", "98", "99"} <= pos
    exam = set(df["nodes_examined_code"].drop_nulls())
    assert {"00", "96", "97", "99"} <= exam
    assert {"X.2", "X.3", "X.7", "0.0"} <= set(df["ene_hn_path_code"].drop_nulls())
    assert {"7"} <= set(df["reporting_source"])  # death-certificate-only cases
    assert {"00", "01", "02"} <= set(df["tumor_seq"])  # multiple primaries
    exact = df.filter(
        pl.col("nodes_positive_code").str.contains(r"^[0-8][0-9]$")
        & pl.col("nodes_examined_code").str.contains(r"^[0-8][0-9]$")
    )
    inconsistent = exact.filter(
        pl.col("nodes_positive_code").cast(pl.Int32) > pl.col("nodes_examined_code").cast(pl.Int32)
    )
    assert 0 < inconsistent.height < 0.01 * df.height
    assert df.select(pl.struct("patient_id", "tumor_seq").is_unique().all()).item()


def test_parquet_and_gzip(tmp_path):
    pq = cohort.synth.write(tmp_path / "s.parquet", n=1500, seed=2)
    gz = cohort.synth.write(tmp_path / "s.csv.gz", n=1500, seed=2)
    a = pl.read_parquet(pq)
    b = pl.read_csv(gz, infer_schema=False)
    assert a.equals(b)


def test_seerstat_exports_carry_the_same_records_and_truth(tmp_path):
    from cohort.readers.seerstat import read_dictionary

    csv = cohort.synth.write(tmp_path / "s.csv", n=800, seed=6)
    for fmt in ("seerstat-labels", "seerstat-numeric"):
        path = cohort.synth.write(tmp_path / f"{fmt}.txt", n=800, seed=6, format=fmt)
        spec = read_dictionary(tmp_path / f"{fmt}.dic")
        assert spec.variable_format == fmt.removeprefix("seerstat-")
        assert spec.data_file == f"{fmt}.txt" and spec.names_included
        assert "Vital status recode (study cutoff used)" in spec.variables
        # SEER*Stat's numbering, not NAACCR's: Alive is 0
        assert spec.formats["Vital status recode (study cutoff used)"]["0"] == "Alive"
        truth = json.loads((tmp_path / f"{fmt}.txt.truth.json").read_text())
        assert truth == json.loads((tmp_path / "s.csv.truth.json").read_text())
        assert pl.read_parquet(str(path) + ".truth.parquet").equals(
            pl.read_parquet(str(csv) + ".truth.parquet"))
        assert len(path.read_text().splitlines()) == 801  # the names, then the records


WRITTEN = {"csv": "s.csv", "parquet": "s.parquet", "naaccr-xml": "s.xml",
           "naaccr-flat": "s.txt", "seerstat-labels": "s.txt", "seerstat-numeric": "s.txt.gz"}


@pytest.mark.parametrize("fmt", list(WRITTEN))
def test_chunks_give_the_same_file_as_one_chunk(tmp_path, monkeypatch, fmt):
    """Blocks of 100 records (7 of them, the last short), written a block at
    a time and all at once: the same bytes, the same truth, and the small
    chunks really were written one after another (memory follows the chunk)."""
    monkeypatch.setattr(cohort.synth, "BLOCK", 100)
    files = {}
    for chunk in (1, 250, 10_000):
        out = tmp_path / str(chunk)
        out.mkdir()
        calls = []
        cohort.synth.write(out / WRITTEN[fmt], n=650, seed=4, format=fmt, chunk=chunk,
                           progress=lambda done, n, calls=calls: calls.append(done))
        assert calls == {1: [100, 200, 300, 400, 500, 600, 650], 250: [300, 600, 650],
                         10_000: [650]}[chunk]
        files[chunk] = [_content(p) for p in sorted(out.iterdir())]
    assert len(files[1]) >= 3  # the extract, its truth, and (SEER*Stat) the .dic
    assert files[1] == files[250] == files[10_000]


def _content(path):
    """What a file holds: Parquet as records (a chunk is a row group, so the
    bytes differ), gzip decompressed (its header has a time stamp), else bytes."""
    if path.suffix == ".parquet":
        return pl.read_parquet(path).rows()
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes())
    return path.read_bytes()


def test_blocks_are_independent_streams_and_one_registry(tmp_path, monkeypatch):
    monkeypatch.setattr(cohort.synth, "BLOCK", 500)
    path = cohort.synth.write(tmp_path / "s.csv", n=2000, seed=3, chunk=1)
    df = pl.read_csv(path, infer_schema=False)
    truth = pl.read_parquet(str(path) + ".truth.parquet")
    assert df.height == truth.height == 2000
    # every block draws its own records, not a copy of the first block's
    blocks = [df.slice(k * 500, 500) for k in range(4)]
    assert len({tuple(b["surv_months"]) for b in blocks}) == 4
    # patient ids run on across blocks: one patient never spans two ids' worth
    # of blocks, and (patient, tumour) identifies a record in the whole extract
    assert df.select(pl.struct("patient_id", "tumor_seq").is_unique().all()).item()
    ids = df["patient_id"].cast(pl.Int64)
    assert ids.is_sorted() and ids[0] == 1 and ids.n_unique() == ids.max()
    assert truth.select("patient_id", "tumor_seq").equals(df.select("patient_id", "tumor_seq"))
    # the truth counts the invalid values of the whole extract, not of its last chunk
    invalid = json.loads((tmp_path / "s.csv.truth.json").read_text())["invalid_values"]
    assert invalid["nodes_positive_code"] == df["nodes_positive_code"].is_in(["AB", "150"]).sum()
    assert invalid["age_at_dx"] == (df["age_at_dx"] == "-1").sum()
    assert sum(invalid.values()) > 0


def test_cli_reports_progress_on_stderr(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cohort.cli import main

    monkeypatch.setattr(cohort.synth, "BLOCK", 100)
    out = tmp_path / "s.csv"
    args = ["synth", "--n", "250", "--seed", "3", "-o", str(out), "--chunk", "100"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == f"wrote 250 records to {out} (truth: {out}.truth.json)\n"
    assert result.stderr.startswith("synth: ") and result.stderr.endswith(
        "synth: 250 of 250 records (100%), 0 s\n")
    quiet = CliRunner().invoke(main, [*args, "--quiet"], catch_exceptions=False)
    assert quiet.exit_code == 0 and quiet.stderr == ""
    # one chunk: nothing to report
    one = CliRunner().invoke(main, args[:-2], catch_exceptions=False)
    assert one.exit_code == 0 and one.stderr == ""


def test_cli_default_chunk_is_the_library_default():
    from cohort.cli import SYNTH_CHUNK

    assert SYNTH_CHUNK == cohort.synth.CHUNK  # written out so --help does not import synth
