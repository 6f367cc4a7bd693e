"""The ``cohort`` command: a thin shell over the library.

Each command calls one library function; only here are library errors
turned into messages and exit codes (1 for a refused input or query, 2 for
wrong usage).
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from pathlib import Path

import click

from cohort.errors import CohortError, LoadInterrupted
from cohort.load import interrupted
from cohort.output import FORMATS, render
from cohort.readers import FORMATS as READER_FORMATS
from cohort.readers.textfile import shorten
from cohort.registry import DEFAULT_DB, Registry
from cohort.synth import FORMATS as SYNTH_FORMATS

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


class Interrupted(click.ClickException):
    """Ctrl-C: a message saying what was and was not written; exit 130."""

    exit_code = 130


def _friendly(fn):
    """Errors as one clear line, never a traceback: CohortErrors with their
    message, Ctrl-C with what was written, anything else as an internal
    error (``COHORT_DEBUG=1`` shows its traceback). Quasi-identifier and
    other notices are printed after the command."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return fn(*args, **kwargs)
            except click.ClickException:
                raise
            except CohortError as exc:
                raise click.ClickException(shorten(str(exc), 4000)) from None
            except (click.exceptions.Exit, click.exceptions.Abort, SystemExit, GeneratorExit):
                raise
            except BaseException as exc:
                if interrupted(exc):
                    raise Interrupted("interrupted (Ctrl-C); the command stopped, nothing was "
                                      "written") from None
                if os.environ.get("COHORT_DEBUG"):
                    raise
                raise click.ClickException(
                    f"internal error ({type(exc).__name__}: {shorten(str(exc), 300)}); the "
                    "command stopped and a load in progress was rolled back. This is a bug in "
                    "cohort: please report it (COHORT_DEBUG=1 shows the traceback)"
                ) from None
            finally:
                for w in caught:
                    click.echo(f"notice: {shorten(str(w.message), 2000)}", err=True)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cohort")
def main():
    """Cancer-registry survival by lymph-node burden.

    Load de-identified registry extracts into one DuckDB file, derive the
    lymph-node variables, query them with SQL, estimate survival
    (Kaplan-Meier, Cox, competing risks, net survival) and write PDF
    reports. Start with `cohort demo`; the tutorial is docs/tutorial.md.
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
@click.option("--keep-items", default="",
              help="Items outside the alias table to keep in raw_cases.extra (comma-separated): "
              "NAACCR XML items, or free-text columns (dropped by default). Identifiers are "
              "never kept.")
@click.option("--supersede", is_flag=True,
              help="The files are newer submissions (updated follow-up): their records "
              "replace those of the same patient_id and tumor_seq already loaded, instead "
              "of being rejected as duplicates. See: cohort sql \"select * from superseded\".")
@click.option("--no-derive", is_flag=True,
              help="Skip deriving the analysis variables (run `cohort derive` later).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@_friendly
def load(files, db, strict, replace, fmt, keep_items, supersede, no_derive, quiet):
    """Load extract FILES into the registry: CSV (any delimiter, .gz), Parquet,
    NAACCR XML (.xml, .xml.gz), NAACCR fixed-width or SEER*Stat case listings.

    Every record is loaded into raw_cases or listed in rejects with its
    record number, field, value and reason; each file loads in one
    transaction, and a file already loaded (same SHA-256) is skipped.
    Direct identifiers refuse a file; quasi-identifiers and free-text
    columns are dropped with a notice. A damaged gzip file is refused whole.
    """
    reg = Registry(db)
    progress = not quiet and sys.stderr.isatty()
    done: list = []
    for i, path in enumerate(files):
        try:
            (result,) = reg.load(
                path, strict=strict, replace=replace, format=fmt, progress=progress,
                derive=not no_derive, keep_items=_csv_list(keep_items), supersede=supersede,
            )
        except BaseException as exc:
            if isinstance(exc, LoadInterrupted) or interrupted(exc):
                raise Interrupted(_interrupt_message(exc, done, files[i:])) from None
            if done:
                click.echo(_committed(done), err=True)
            raise
        done.append(result)
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


def _committed(done: list) -> str:
    names = [f"{r.file.name} (load {r.load_id})" for r in done if not r.skipped]
    return ("loaded before the error (these stay): " + ", ".join(names)) if names else ""


def _interrupt_message(exc: BaseException, done: list, rest: tuple) -> str:
    """What an interrupted load wrote, file by file, truthfully."""
    current = rest[0] if rest else None
    committed = isinstance(exc, LoadInterrupted) and exc.committed
    parts = ["interrupted (Ctrl-C)"]
    if current is not None:
        parts.append(f"{Path(current).name}: " + (
            "loaded and committed before the interrupt" if committed
            else "not loaded (rolled back; nothing from it was written)"))
    before = [f"{r.file.name} (load {r.load_id})" for r in done if not r.skipped]
    if before:
        parts.append("committed before it: " + ", ".join(before))
    later = [Path(p).name for p in rest[1:]]
    if later:
        parts.append("not started: " + ", ".join(later))
    todo = [Path(p).name for p in (rest if not committed else rest[1:])]
    if todo:
        parts.append("load again: cohort load " + " ".join(todo) + " (committed files are "
                     "skipped by their SHA-256)")
    return "; ".join(parts)


@main.command()
@db_option
@_friendly
def upgrade(db):
    """Bring a registry written by an older version of cohort up to this one.

    Adds the tables and columns this version needs and recreates the views;
    records, rejects and provenance are kept. Queries and analyses never
    write, so they ask for this once when a registry is older.
    """
    reg = Registry(db)
    before, after = reg.upgrade()
    if before == after:
        click.echo(f"{reg.path}: already up to date (SQL version {after})")
    else:
        click.echo(f"{reg.path}: upgraded from SQL version {before or 'none'} to {after}; "
                   "records kept")


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
            comments = [ln.strip() for ln in statement.splitlines() if ln.strip().startswith("--")]
            code = [ln.strip() for ln in statement.splitlines()
                    if ln.strip() and not ln.strip().startswith("--")]
            click.echo("\n".join(comments) if comments else f"-- {code[0] if code else ''}")
        _emit(render(df, fmt))


def _csv_list(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _times(value: str) -> list[float]:
    try:
        return [float(v) for v in _csv_list(value)]
    except ValueError:
        raise click.BadParameter(f"times must be numbers of months separated by commas, "
                                 f"got {value!r}") from None


where_option = click.option(
    "--where", default="true", show_default=True,
    help="Cohort: a WHERE clause over cases, a SELECT, or a named cohort from sql/cohorts.",
)
event_option = click.option(
    "--event", type=click.Choice(["event", "event_cancer"]), default="event", show_default=True,
    help="event = death from any cause; event_cancer = death from this cancer.",
)
suppress_option = click.option(
    "--suppress", "suppress_below", type=click.IntRange(min=0), default=11, show_default=True,
    help="Show counts below this as <N (0 to switch off, inside the registry only).",
)


def _emit_tables(tables: dict, fmt: str, notes: list[str], main_table: str) -> None:
    import json

    if fmt == "csv":
        _emit(render(tables[main_table], "csv"))
        return
    if fmt == "json":
        click.echo(json.dumps({k: v.to_dicts() for k, v in tables.items() if v is not None},
                              default=str, indent=1))
        return
    for name, df in tables.items():
        if df is None:
            continue
        click.echo(f"{name.replace('_', ' ')}:")
        click.echo(render(df))
        click.echo()
    for note in notes:
        click.echo(f"note: {note}")


@main.command()
@where_option
@click.option("--by", default="node_burden", show_default=True,
              help="Grouping column ('' for one curve).")
@click.option("--times", default="12,36,60", show_default=True, help="Months to report.")
@click.option("--horizon", type=float, default=None,
              help="RMST horizon in months (default: the last time).")
@click.option("--strata", default="", help="Columns to stratify the log-rank test on.")
@click.option("--pairwise", type=click.Choice(["holm", "bonferroni", "none"]), default=None,
              help="Pairwise log-rank tests with this multiplicity correction.")
@event_option
@suppress_option
@db_option
@format_option
@_friendly
def km(where, by, times, horizon, strata, pairwise, event, suppress_below, db, fmt):
    """Kaplan-Meier survival by group with log-rank tests.

    Survival with 95% log-log CIs (as R conf.type = "log-log"), numbers at
    risk and events at each time, median survival (95% CI), restricted mean
    survival time, log-rank and log-rank-for-trend tests.

    Example: cohort km --where "site_group = 'breast'" --by node_burden
    """
    result = Registry(db).cohort(where).km(
        by=by or None, event=event, times=_times(times), horizon=horizon,
        strata=_csv_list(strata), pairwise=pairwise,
    )
    tables = result.tables(suppress_below=suppress_below)
    if fmt == "table":
        tables = {"summary": result.summary(suppress_below=suppress_below),
                  "numbers at risk and events": tables["survival"].select(
                      "group", "time", "n_risk", "n_events"),
                  "restricted mean survival time": tables["rmst"],
                  "tests": tables["tests"], **({"pairwise": tables["pairwise"]}
                                               if "pairwise" in tables else {})}
    notes = [
        f"cohort: {where}; {result.records:,} eligible records with known "
        f"{event} ({result.unknown_event:,} with unknown {event} left out)",
        f"95% CIs: {result.ci_method}; n_risk = at risk just before the time",
        f"counts below {suppress_below} are shown as <{suppress_below}" if suppress_below
        else "counts are NOT suppressed: do not release this output",
    ]
    medians = result.tables(suppress_below=suppress_below)["medians"]
    if suppress_below and any("*" in medians[c].to_list() for c in ("n", "events")):
        notes.append(f"*: hidden as well, so that no count below {suppress_below} can be "
                     "worked out from the totals (complementary suppression)")
    _emit_tables(tables, fmt, notes, "survival")


@main.command()
@where_option
@click.option("--terms", required=True, help="Model terms, e.g. node_burden,age_at_dx,sex.")
@click.option("--strata", default="", help="Stratification columns, e.g. dx_year_group.")
@click.option("--reference", default="",
              help="Reference levels, e.g. node_burden=N0 (default: lowest level present).")
@event_option
@db_option
@format_option
@_friendly
def cox(where, terms, strata, reference, event, db, fmt):
    """Cox proportional hazards: univariable and adjusted hazard ratios.

    Efron ties; 95% Wald CIs; likelihood-ratio test, concordance and the
    proportional-hazards check (scaled Schoenfeld residuals) per term.

    Example: cohort cox --where "site_group = 'colon'" --terms node_burden,age_at_dx,sex
    """
    refs = {}
    for item in _csv_list(reference):
        if "=" not in item:
            raise click.BadParameter(f"reference must look like term=level, got {item!r}")
        k, v = item.split("=", 1)
        refs[k.strip()] = v.strip()
    result = Registry(db).cohort(where).cox(
        _csv_list(terms), strata=_csv_list(strata), event=event, reference=refs
    )
    notes = [f"cohort: {where}", result.note,
             "proportional hazards: lifelines' scaled Schoenfeld test (time: KM); p < 0.05 "
             "flags a term"]
    tables = result.tables()
    if fmt == "table":
        tables = {"hazard_ratios": result.summary(), "model": tables["model"],
                  "proportional_hazards": tables["proportional_hazards"]}
    _emit_tables(tables, fmt, notes, "hazard_ratios")


@main.command()
@where_option
@click.option("--by", default="node_burden", show_default=True,
              help="Grouping column ('' for the whole cohort).")
@click.option("--times", default="12,36,60", show_default=True, help="Months to report.")
@click.option("--method", type=click.Choice(["pohar-perme", "ederer2"]), default="pohar-perme",
              show_default=True, help="Net survival (Pohar Perme) or relative survival "
              "(Ederer II).")
@click.option("--lifetable", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Life table CSV (year, sex, age, annual_hazard); default: "
              "US 1940-2014.")
@click.option("--standardise", type=click.Choice(["1", "2", "3"]), default=None,
              help="Also give ICSS age-standardised estimates (standard 1, 2 or 3).")
@suppress_option
@db_option
@format_option
@_friendly
def netsurv(where, by, times, method, lifetable, standardise, suppress_below, db, fmt):
    """Net survival (Pohar Perme) or relative survival (Ederer II) by group,
    with observed (Kaplan-Meier) and expected (Ederer I) survival beside it.

    Expected mortality follows each case through attained age and calendar
    year in the life table, matched on sex; years past the table carry its
    last year forward (with a notice).
    """
    result = Registry(db).cohort(where).net_survival(
        by=by or None, times=_times(times), method=method, lifetable=lifetable,
        standardise=int(standardise) if standardise else None,
    )
    _emit_tables(result.tables(suppress_below=suppress_below), fmt,
                 [f"cohort: {where}", result.note], "net_survival")


@main.command()
@where_option
@click.option("--by", default="node_burden", show_default=True, help="Grouping column.")
@click.option("--times", default="12,36,60", show_default=True, help="Months to report.")
@suppress_option
@db_option
@format_option
@_friendly
def cif(where, by, times, suppress_below, db, fmt):
    """Cumulative incidence of cancer death and other-cause death (competing risks).

    Aalen-Johansen estimates with 95% CIs by group; deaths of unknown cause
    are left out and counted.
    """
    result = Registry(db).cohort(where).cif(by=by or None, times=_times(times))
    notes = [f"cohort: {where}; {result.unknown_cause:,} deaths of unknown cause left out",
             result.note]
    _emit_tables(result.tables(suppress_below=suppress_below), fmt, notes,
                 "cumulative_incidence")


@main.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.pdf"), show_default=True, help="PDF to write.")
@click.option("--figures", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write each page as PNG and SVG, and the tables as CSV, here.")
@_friendly
def report(spec, db, output, figures):
    """Write the PDF survival report of SPEC (a TOML file; default: the
    bundled reports/node_burden.toml) over the registry database.

    Counts below the specification's threshold (default 11) are printed as
    <11 everywhere, numbers at risk included; the same database and
    specification give a byte-identical PDF.
    """
    from cohort.report import load_spec, write_report

    result = write_report(Registry(db), load_spec(spec), output, figures_dir=figures)
    click.echo(f"wrote {result.path} ({result.pages} pages; sections: "
               f"{', '.join(result.sections)})")
    if figures:
        click.echo(f"wrote {len(result.figures)} figures and {len(result.tables)} tables "
                   f"to {figures}")


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
    prints the load summary and the records per site, and writes the
    default survival report (PDF) from it.
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
