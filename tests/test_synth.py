"""The synthetic extract: reproducible, realistic codes, truth sidecar."""

from __future__ import annotations

import json

import polars as pl

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
