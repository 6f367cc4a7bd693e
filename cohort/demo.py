"""The demo: the whole path on a bundled synthetic extract, in one call."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from cohort import synth
from cohort.load import LoadResult
from cohort.registry import Registry

DEMO_RECORDS = 20_000
DEMO_SEED = 2026


@dataclass
class DemoResult:
    extract: Path
    database: Path
    loads: list[LoadResult]
    records_per_site: pl.DataFrame
    outputs: list[Path] = field(default_factory=list)


def run_demo(directory: str | Path = "cohort-demo", *, n: int = DEMO_RECORDS) -> DemoResult:
    """Write the sample extract, load it into a fresh database, summarise it
    and write the default survival report.

    Everything goes under ``directory``; an earlier demo database there is
    replaced so the demo always starts from nothing.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    extract = synth.write(directory / "sample_extract.csv", n=n, seed=DEMO_SEED)
    db = directory / "registry.duckdb"
    for stale in (db, Path(str(db) + ".wal")):
        stale.unlink(missing_ok=True)
    reg = Registry(db)
    loads = reg.load(extract)
    per_site = reg.sql(
        "select site_group, count(*) as records, "
        "count(*) filter (where exclusion_reason is null) as eligible, "
        "count(*) filter (where node_status = 'N+') as node_positive "
        "from cases group by all order by site_group"
    )
    from cohort.report import load_spec, write_report

    report = write_report(reg, load_spec(), directory / "report.pdf")
    return DemoResult(extract, db, loads, per_site, [report.path])
