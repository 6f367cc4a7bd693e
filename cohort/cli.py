"""The ``cohort`` command: a thin shell over the library.

Each command calls one library function; only here are library errors
turned into messages and exit codes (1 for a refused input or query, 2 for
wrong usage).
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path

import click

from cohort.errors import CohortError
from cohort.output import FORMATS, render
from cohort.readers import FORMATS as READER_FORMATS
from cohort.synth import FORMATS as SYNTH_FORMATS
from cohort.registry import DEFAULT_DB, Registry

db_option = click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="COHORT_DB",
    default=DEFAULT_DB,
    show_default=True,
    help="Registry database file (or set $COHORT_DB).",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output as an aligned table, CSV or JSON.",
)


def _emit(text: str) -> None:
    click.echo(text, nl=not text.endswith("\n"))


def _friendly(fn):
    """Show CohortErrors (and quasi-identifier notices) without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return fn(*args, **kwargs)
            except CohortError as exc:
                raise click.ClickException(str(exc)) from None
            finally:
                for w in caught:
                    click.echo(f"notice: {w.message}", err=True)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cohort")
def main():
    """Cancer-registry survival by lymph-node burden.

    Load de-identified registry extracts into one DuckDB file, query them
    with SQL, and (as the toolkit grows) derive node variables and write
    survival reports. Start with `cohort demo`.
    """


@main.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@db_option
@click.option("--strict", is_flag=True, help="Refuse a whole file if any record is invalid.")
@click.option("--replace", is_flag=True, help="Load a file again even if it was loaded before.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(READER_FORMATS),
    default=None,
    help="Input format (default: detected from the file's content).",
)
@click.option("--no-derive", is_flag=True,
              help="Skip deriving the analysis variables (run `cohort derive` later).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@_friendly
def load(files, db, strict, replace, fmt, no_derive, quiet):
    """Load extract FILES (CSV of any delimiter, .gz, or Parquet) into the registry.

    Every record is loaded into raw_cases or listed in rejects with its
    record number, field, value and reason; each file loads in one
    transaction, and a file already loaded (same SHA-256) is skipped.
    """
    reg = Registry(db)
    progress = not quiet and sys.stderr.isatty()
    for path in files:
        (result,) = reg.load(
            path, strict=strict, replace=replace, format=fmt, progress=progress,
            derive=not no_derive,
        )
        if quiet:
            continue
        click.echo(result.summary())
        if result.dropped_columns:
            click.echo(f"  dropped quasi-identifiers: {', '.join(result.dropped_columns)}")
        if result.extra_columns:
            click.echo(f"  kept in raw_cases.extra: {', '.join(result.extra_columns)}")
        for field, reason, n in result.reject_reasons[:5]:
            click.echo(f"  rejected {n:,}: {field}: {reason}")
        if result.rows_rejected:
            click.echo(
                f"  see them with: cohort sql \"select * from rejects where load_id = "
                f"{result.load_id}\" --db {db}"
            )


@main.command()
@db_option
@_friendly
def derive(db):
    """Re-derive the analysis variables (site group, node status and burden,
    LNR, LODDS, ENE, survival time, events, exclusions) for every record.

    Loads derive automatically; run this after `cohort load --no-derive` or
    when the rules in cohort/data change.
    """
    reg = Registry(db)
    n = reg.derive()
    click.echo(f"derived {n:,} records; see them in the cases view")


@main.command()
@db_option
@format_option
@_friendly
def check(db, fmt):
    """Data-quality report: records failing the node-item edits (counts and
    example records) and the attrition of a standard survival analysis."""
    reg = Registry(db)
    edits = reg.sql("select edit, records, array_to_string(examples, '; ') as examples "
                    "from node_edits")
    attrition = reg.sql("select stage, records, excluded, remaining from attrition")
    if fmt != "table":
        _emit(render(edits, fmt))
        return
    click.echo("node-item edits failed:")
    click.echo(render(edits) if edits.height else "none")
    click.echo("\nattrition (standard survival analysis):")
    click.echo(render(attrition))


@main.command()
@click.argument("query", required=False)
@click.option(
    "-f", "--file", "sql_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run the statements of a .sql file.",
)
@db_option
@format_option
@_friendly
def sql(query, sql_file, db, fmt):
    """Run a read-only SQL QUERY over the registry (tables: cases, raw_cases,
    rejects, loads; views: load_summary, reject_reasons).

    Nothing can be changed or written through this door.
    """
    if bool(query) == bool(sql_file):
        raise click.UsageError("give a QUERY or -f FILE (one of them)")
    reg = Registry(db)
    if query:
        _emit(render(reg.sql(query), fmt))
        return
    results = reg.sql_script(sql_file.read_text("utf-8"))
    for i, (statement, df) in enumerate(results):
        if fmt == "table":
            if i:
                click.echo()
            click.echo(f"-- {statement.splitlines()[0] if statement else ''}")
        _emit(render(df, fmt))


@main.command()
@click.option("--n", "n", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Number of tumour records.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file (.csv, .csv.gz or .parquet).")
@click.option("--format", "fmt", type=click.Choice(SYNTH_FORMATS), default=None,
              help="Output format (default: from the file name).")
@_friendly
def synth(n, seed, output, fmt):
    """Write a synthetic registry extract with a known truth.

    Sites, node codes (with the 95/97/98/99 specials and a few invalid
    values), extranodal extension, sentinel nodes, multiple primaries and
    survival drawn from a proportional-hazards model; the true hazard ratios
    go to OUTPUT.truth.json.
    """
    from cohort import synth as synth_module

    path = synth_module.write(output, n=n, seed=seed, format=fmt)
    click.echo(f"wrote {n:,} records to {path} (truth: {path}.truth.json)")


@main.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("cohort-demo"), show_default=True,
              help="Folder for the sample extract, database and outputs.")
@_friendly
def demo(directory):
    """Run the whole path on a bundled synthetic extract.

    Writes the sample extract, loads it into a fresh registry database and
    prints the load summary and the records per site.
    """
    from cohort.demo import run_demo

    result = run_demo(directory)
    click.echo(f"sample extract: {result.extract}")
    click.echo(f"registry database: {result.database}")
    for r in result.loads:
        click.echo(r.summary())
    click.echo("\nrecords per site:")
    click.echo(render(result.records_per_site))
    for out in result.outputs:
        click.echo(f"wrote {out}")
    click.echo(f"\nnext: cohort sql \"select * from load_summary\" --db {result.database}")
