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
from importlib import import_module
from pathlib import Path

# One BLAS thread: the products of a Cox fit are N x p with p small, where a second
# thread only waits (on a busy 2-core machine a 100,000 x 4 product varied tenfold);
# set before numpy loads. An OPENBLAS_NUM_THREADS set by the user is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402
import polars as pl  # noqa: E402

from cohort.errors import CohortError, LoadInterrupted, interrupted  # noqa: E402
from cohort.output import FORMATS, render  # noqa: E402
from cohort.registry import DEFAULT_DB, Registry  # noqa: E402
from cohort.text import shorten  # noqa: E402


class _ModuleChoice(click.Choice):
    """The choices are a module's ``FORMATS``, read when first needed, so that
    ``cohort --help`` and the analysis commands do not import the readers or
    the synthetic-data generator (numpy)."""

    def __init__(self, module: str):
        self.module = module
        super().__init__(())

    @property
    def choices(self):
        return import_module(self.module).FORMATS

    @choices.setter
    def choices(self, value):  # click's __init__ sets it; the module decides
        pass


READER_FORMATS = _ModuleChoice("cohort.readers")
SYNTH_FORMATS = _ModuleChoice("cohort.synth")


class _LoadDefault:
    """A number of ``cohort.load`` as an option's default, read when first
    needed (the help of ``cohort load``, or a load), not on every command."""

    def __init__(self, name: str):
        self.name = name

    def value(self) -> float:
        return getattr(import_module("cohort.load"), self.name)

    def __float__(self) -> float:
        return float(self.value())

    def __str__(self) -> str:
        return str(self.value())

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
    help="table (aligned, numbers rounded for reading), csv or json (full precision), md "
    "(Markdown) or html (to paste into a paper).",
)


def table_option(names: list[str]):
    """``--table``: one of a result's tables, or all of them."""
    return click.option(
        "--table", "table", type=click.Choice(["all", *names]), default="all",
        show_default=True,
        help="Which table to print: all (CSV: stacked, with a 'table' column naming each) or "
        f"one of {', '.join(names)}.")


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
            except BrokenPipeError:
                # the reader stopped early (cohort km ... | head): stop quietly, as
                # Unix tools do, and keep Python from failing again on flushing stdout
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(141)  # 128 + SIGPIPE, what a shell reports for such a tool
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
    type=READER_FORMATS,
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
@click.option("--max-reject-share", type=click.FloatRange(0, 1),
              default=_LoadDefault("MAX_REJECT_SHARE"),
              show_default=True,
              help="Refuse a file that rejects more than this share of its records "
                   "(a file that loads nothing is always refused).")
@click.option("--keep-partial", is_flag=True,
              help="Keep what a refused file did load (it still exits non-zero).")
@click.option("--memory-limit", default=_LoadDefault("MEMORY_LIMIT"), show_default=True,
              help="DuckDB's memory while loading; a larger file spills to a temporary "
                   "folder beside the database, so memory stays flat (raise it to load "
                   "faster on a machine with memory to spare).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@_friendly
def load(files, db, strict, replace, fmt, keep_items, supersede, no_derive, max_reject_share,
         keep_partial, memory_limit, quiet):
    """Load extract FILES into the registry: CSV (any delimiter, .gz), Parquet,
    NAACCR XML (.xml, .xml.gz), NAACCR fixed-width or SEER*Stat exports (the
    data file .txt or .gz, with its .dic dictionary beside it).

    Every record is loaded into raw_cases or listed in rejects with its
    record number, field, value and reason; each file loads in one
    transaction, and a file already loaded (same SHA-256) is skipped. Only
    invalid identity and analysis keys (patient, sequence, site, histology,
    behaviour, dates, vital status, follow-up) reject a record; any other
    invalid value is set to unknown and listed in item_edits. A file that
    loads nothing, or rejects more than --max-reject-share of its records,
    exits non-zero with the three most frequent reasons, and the database is
    left as it was unless --keep-partial. Direct identifiers refuse a file;
    quasi-identifiers and free-text columns are dropped with a notice. A
    damaged gzip file is refused whole.
    """
    reg = Registry(db)
    progress = not quiet and sys.stderr.isatty()
    done: list = []
    for i, path in enumerate(files):
        try:
            (result,) = reg.load(
                path, strict=strict, replace=replace, format=fmt, progress=progress,
                derive=not no_derive, keep_items=_csv_list(keep_items), supersede=supersede,
                max_reject_share=max_reject_share, keep_partial=keep_partial,
                memory_limit=memory_limit,
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
        for item, reason, n in result.edit_reasons[:5]:
            click.echo(f"  set to unknown {n:,}: {item}: {reason.removesuffix('; set to unknown')}")
        if result.values_edited:
            click.echo(
                f"  see them with: cohort sql \"select * from item_edits where load_id = "
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
@table_option(["node_edits", "item_edits", "attrition"])
@_friendly
def check(db, fmt, table):
    """Data-quality report: records failing the node-item edits (counts and
    example records), values set to unknown on load (item edits), and the
    attrition of a standard survival analysis."""
    reg = Registry(db)
    edits = reg.sql("select edit, records, array_to_string(examples, '; ') as examples "
                    "from node_edits")
    attrition = reg.sql("select stage, records, excluded, remaining from attrition")
    items = reg.sql("select file_name, item, records, "
                    "array_to_string(example_values, ', ') as example_values "
                    "from item_edit_reasons")
    if fmt != "table" or table != "all":
        _emit_tables({"node_edits": edits, "item_edits": items, "attrition": attrition}, fmt,
                     [], table=table)
        return
    click.echo("node-item edits failed:")
    click.echo(render(edits) if edits.height else "none")
    click.echo("\nvalues set to unknown on load (item_edits):")
    click.echo(render(items) if items.height else "none")
    click.echo("\nattrition (standard survival analysis):")
    click.echo(render(attrition))


def _sql_help() -> str:
    from cohort.docs import relations

    tables, views = relations()
    return (
        "Run a read-only SQL QUERY over the registry (tables: "
        f"{', '.join(tables)}; views: {', '.join(views)}).\n\n"
        "Nothing can be changed or written through this door."
    )


@main.command(help=_sql_help())
@click.argument("query", required=False)
@click.option(
    "-f", "--file", "sql_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run the statements of a .sql file.",
)
@db_option
@format_option
@_friendly
def sql(query, sql_file, db, fmt):
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
codes_option = click.option(
    "--codes", is_flag=True,
    help="Print raw codes (sex 2, node_burden N2) instead of labels (female, N2 (4-9 nodes)).",
)
by_help = ("Grouping column ('' for one curve). Default: node_burden, or the staged N "
           "(n_stage_group) where node counts cannot give the N (lung, head and neck).")


def _grouping(cohort, by):
    from cohort.grouping import default_grouping

    return default_grouping(cohort, by)


def _labelled(tables: dict, by: str | None, cohort, codes: bool) -> dict:
    """Result tables with group labels (unless --codes), for results that do
    not label themselves (net survival)."""
    if codes or not by:
        return tables
    from cohort.grouping import single_site
    from cohort.labels import decode_groups

    site = single_site(cohort) if by == "node_burden" else None
    return decode_groups(tables, by, site=site)


convention_option = click.option(
    "--time-convention", "convention", type=click.Choice(["completed", "exact"]),
    default="completed", show_default=True,
    help="Follow-up convention: completed months (a record with surv_months = m leaves at "
    "m + 0.5, as SEER*Stat's monthly life tables) or exact (leaves at m, as R on raw months).",
)
suppress_option = click.option(
    "--suppress", "suppress_below", type=click.IntRange(min=0), default=11, show_default=True,
    help="Show counts below this as <N (0 to switch off, inside the registry only).",
)


period_option = click.option(
    "--period", default=None, metavar="YYYY-YYYY",
    help="Period analysis (Brenner): only follow-up inside these calendar years counts; "
         "earlier diagnoses enter at their duration at the window's start. With --where "
         "on dx_year: hybrid analysis.",
)
given_option = click.option(
    "--given", type=click.FloatRange(min=0), default=0, show_default=True,
    help="Conditional survival: survival to each time given survival to this many months.",
)
lifetable_option = click.option(
    "--lifetable", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None, help="Life table CSV (year, sex, age, annual_hazard); default: US 1940-2014.",
)


def _cohort(db, where: str, period: str | None):
    """The cohort of --where, seen through the --period window when given, on
    one read-only connection that lasts as long as the command (the default
    grouping, the analysis and its labels share it: the database is opened
    once)."""
    session = click.get_current_context().with_resource(Registry(db).session())
    c = session.cohort(where)
    return c.period(period) if period else c


def _emit_tables(tables: dict, fmt: str, notes: list[str], *, table: str = "all",
                 readable_tables: dict | None = None) -> None:
    """Print a result's tables in ``fmt``: the table, Markdown and HTML forms
    rounded for reading (``readable_tables`` when given: the paper layout),
    CSV and JSON at full precision. ``table`` picks one table."""
    import json

    from cohort.formatting import readable
    from cohort.output import html as html_table
    from cohort.output import markdown

    tables = {k: v for k, v in tables.items() if v is not None}
    if table != "all":
        if table not in tables:
            raise click.UsageError(f"this result has no {table} table (it has "
                                   f"{', '.join(tables)})")
        tables = {table: tables[table]}
    elif fmt in ("table", "md", "html") and readable_tables is not None:
        tables = {k: v for k, v in readable_tables.items() if v is not None}
    if fmt == "csv":
        if len(tables) == 1:
            _emit(render(next(iter(tables.values())), "csv"))
            return
        stacked = pl.concat([df.select(pl.lit(name).alias("table"),
                                       pl.all().cast(pl.Utf8)) for name, df in tables.items()],
                            how="diagonal")
        _emit(render(stacked, "csv"))
        return
    if fmt == "json":
        out = {k: v.to_dicts() for k, v in tables.items()}
        click.echo(json.dumps(out | {"notes": notes}, default=str, indent=1))
        return
    shown = {k: readable(v) for k, v in tables.items()}
    if fmt == "md":
        for name, df in shown.items():
            click.echo(f"**{name.replace('_', ' ').capitalize()}**\n")
            click.echo(markdown(df))
            click.echo()
        for note in notes:
            click.echo(f"- {note}")
        return
    if fmt == "html":
        from html import escape

        for name, df in shown.items():
            click.echo(html_table(df, caption=name.replace("_", " ").capitalize()))
        click.echo("<ul class=\"cohort-notes\">")
        for note in notes:
            click.echo(f"<li>{escape(note)}</li>")
        click.echo("</ul>")
        return
    for name, df in shown.items():
        click.echo(f"{name.replace('_', ' ')}:")
        click.echo(render(df))
        click.echo()
    for note in notes:
        click.echo(f"note: {note}")


@main.command()
@where_option
@click.option("--by", default=None, help=by_help)
@click.option("--times", default="12,36,60", show_default=True, help="Months to report.")
@click.option("--horizon", type=float, default=None,
              help="RMST horizon in months (default: the last time).")
@click.option("--strata", default="", help="Columns to stratify the log-rank test on.")
@click.option("--pairwise", type=click.Choice(["holm", "bonferroni", "none"]), default=None,
              help="Pairwise log-rank tests with this multiplicity correction.")
@click.option("--trend-scores", default=None,
              help="Scores of the log-rank test for trend: group=score pairs "
              "(N0=0,N1=2,N2=6,N3=15) or a numeric column whose median in each group is its "
              "score (nodes_positive). Default: 1, 2, ... over the ordered known groups "
              "(NX and N1 NOS are never scored).")
@click.option("--entry", default=None,
              help="Column of delayed-entry times in months (left truncation): a case is at "
              "risk at t when entry < t <= exit.")
@period_option
@given_option
@event_option
@convention_option
@suppress_option
@codes_option
@db_option
@format_option
@table_option(["survival", "medians", "rmst", "tests", "pairwise"])
@_friendly
def km(where, by, times, horizon, strata, pairwise, trend_scores, entry, period, given, event,
       convention, suppress_below, codes, db, fmt, table):
    """Kaplan-Meier survival by group with log-rank tests.

    Survival with 95% log-log CIs (as R conf.type = "log-log"; NA where
    survival is 1 or 0), numbers at risk and events at each time, median
    survival (95% CI, R's rule), restricted mean survival time, log-rank and
    log-rank-for-trend tests. Groups smaller than --suppress show
    "suppressed (<11)", never "not reached".

    Example: cohort km --where "site_group = 'breast'" --by node_burden
    """
    cohort = _cohort(db, where, period)
    grouping = _grouping(cohort, by)
    result = cohort.km(
        by=grouping.column, event=event, times=_times(times), horizon=horizon,
        strata=_csv_list(strata), pairwise=pairwise, convention=convention,
        entry=entry or None, trend_scores=_scores(trend_scores), given=given,
    )
    tables = result.tables(suppress_below=suppress_below, codes=codes)
    paper = {"summary": result.summary(suppress_below=suppress_below, codes=codes),
             "numbers at risk and events": tables["survival"].select(
                 "group", "time", "n_risk", "n_events"),
             "restricted mean survival time": tables["rmst"],
             "tests": tables["tests"], **({"pairwise": tables["pairwise"]}
                                          if "pairwise" in tables else {})}
    notes = [
        f"cohort: {where}; {result.records:,} eligible records with known "
        f"{event} ({result.unknown_event:,} with unknown {event} left out)",
        *result.notes(suppress_below=suppress_below),
        f"counts below {suppress_below} are shown as <{suppress_below}" if suppress_below
        else "counts are NOT suppressed: do not release this output",
        *([f"grouping: {grouping.note}"] if grouping.note else []),
    ]
    medians = tables["medians"]
    if suppress_below and any("*" in medians[c].to_list() for c in ("n", "events")):
        notes.append(f"*: hidden as well, so that no count below {suppress_below} can be "
                     "worked out from the totals (complementary suppression)")
    _emit_tables(tables, fmt, notes, table=table, readable_tables=paper)


def _scores(value: str | None) -> dict[str, float] | str | None:
    if not value:
        return None
    if "=" not in value:
        return value.strip()  # a column whose median per group is the score
    scores = {}
    for item in _csv_list(value):
        group, _, score = item.rpartition("=")
        try:
            scores[group.strip()] = float(score)
        except ValueError:
            raise click.BadParameter(f"trend scores look like N0=0,N1=2 (group=number), got "
                                     f"{item!r}", param_hint="--trend-scores") from None
    return scores


@main.command()
@where_option
@click.option("--terms", required=True, help="Model terms, e.g. node_burden,age_at_dx,sex.")
@click.option("--strata", default="", help="Stratification columns, e.g. dx_year_group.")
@click.option("--reference", default="",
              help="Reference levels, e.g. node_burden=N0 (default: the first level present, "
              "as R's factor: clinical order, else numbers as numbers).")
@click.option("--ties", type=click.Choice(["efron", "breslow"]), default="efron",
              show_default=True,
              help="Tied death times: Efron (R's default) or Breslow (SAS PHREG's default); "
              "both exact on the collapsed counts.")
@click.option("--entry", default=None,
              help="Column of delayed-entry times in months (left truncation): a case is at "
              "risk at t when entry < t <= exit.")
@period_option
@event_option
@convention_option
@codes_option
@db_option
@format_option
@table_option(["hazard_ratios", "model", "proportional_hazards"])
@_friendly
def cox(where, terms, strata, reference, ties, entry, period, event, convention, codes, db,
        fmt, table):
    """Cox proportional hazards: univariable and adjusted hazard ratios.

    Efron ties (or --ties breslow); 95% Wald CIs; likelihood-ratio test,
    concordance (Harrell's C, within strata) and the proportional-hazards
    check (scaled Schoenfeld residuals) per term. A term or stratum with one
    value in the cohort is left out, with a note.

    Example: cohort cox --where "site_group = 'colon'" --terms node_burden,age_at_dx,sex
    """
    refs = {}
    for item in _csv_list(reference):
        if "=" not in item:
            raise click.BadParameter(f"reference must look like term=level, got {item!r}")
        k, v = item.split("=", 1)
        refs[k.strip()] = v.strip()
    cohort = _cohort(db, where, period)
    result = cohort.cox(
        _csv_list(terms), strata=_csv_list(strata), event=event, reference=refs, ties=ties,
        convention=convention, entry=entry or None,
    )
    notes = [f"cohort: {where}", *result.notes(),
             "proportional hazards: scaled Schoenfeld test with the case weights (time: KM); "
             "p < 0.05 flags a term"]
    tables = result.tables(codes=codes)
    paper = {"hazard_ratios": result.summary(codes=codes), "model": tables["model"],
             "proportional_hazards": tables["proportional_hazards"]}
    _emit_tables(tables, fmt, notes, table=table, readable_tables=paper)


@main.command()
@where_option
@click.option("--by", default=None, help=by_help)
@click.option("--times", default="12,36,60", show_default=True, help="Months to report.")
@click.option("--method", type=click.Choice(["pohar-perme", "ederer2"]), default="pohar-perme",
              show_default=True, help="Net survival (Pohar Perme) or relative survival "
              "(Ederer II).")
@lifetable_option
@click.option("--standardise", type=click.Choice(["1", "2", "3"]), default=None,
              help="Also give ICSS age-standardised estimates (standard 1, 2 or 3).")
@period_option
@given_option
@convention_option
@suppress_option
@codes_option
@db_option
@format_option
@table_option(["net_survival", "age_standardised"])
@_friendly
def netsurv(where, by, times, method, lifetable, standardise, period, given, convention,
            suppress_below, codes, db, fmt, table):
    """Net survival (Pohar Perme) or relative survival (Ederer II) by group,
    with observed (Kaplan-Meier) and expected (Ederer I) survival beside it.

    Expected mortality follows each case through attained age and calendar
    year in the life table, matched on sex; years past the table carry its
    last year forward (with a notice).
    """
    cohort = _cohort(db, where, period)
    grouping = _grouping(cohort, by)
    result = cohort.net_survival(
        by=grouping.column, times=_times(times), method=method, lifetable=lifetable,
        standardise=int(standardise) if standardise else None, given=given,
        convention=convention,
    )
    notes = [f"cohort: {where}", *result.notes(),
             *([f"grouping: {grouping.note}"] if grouping.note else [])]
    _emit_tables(_labelled(result.tables(suppress_below=suppress_below), grouping.column,
                           cohort, codes), fmt, notes, table=table)


@main.command()
@where_option
@click.option("--by", default=None, help=by_help)
@click.option("--times", default="12,36,60", show_default=True, help="Months to report.")
@convention_option
@suppress_option
@codes_option
@db_option
@format_option
@table_option(["cumulative_incidence"])
@_friendly
def cif(where, by, times, convention, suppress_below, codes, db, fmt, table):
    """Cumulative incidence of cancer death and other-cause death (competing risks).

    Aalen-Johansen estimates with 95% CIs by group, and Gray's test of equal
    cumulative incidence for each cause (with its trend version across the
    ordered node categories); deaths of unknown cause are left out and counted.
    """
    cohort = Registry(db).cohort(where)
    grouping = _grouping(cohort, by)
    result = cohort.cif(by=grouping.column, times=_times(times), convention=convention)
    notes = [f"cohort: {where}; {result.unknown_cause:,} deaths of unknown cause left out",
             *result.notes(), *([f"grouping: {grouping.note}"] if grouping.note else [])]
    if result.tests_ is not None:
        notes.append("Gray's test: cmprsk::cuminc's k-sample test of equal cumulative incidence "
                     "(rho = 0); the trend test scores the ordered groups listed 1, 2, ... "
                     "(NX, '... NOS' and unknown groups left out)")
    _emit_tables(result.tables(suppress_below=suppress_below, codes=codes), fmt, notes,
                 table=table)


@main.command()
@where_option
@click.option("--by", default="node_burden", show_default=True,
              help="Grouping column: one column of the table per level ('' for the whole "
              "cohort).")
@click.option("--variables", default="",
              help="Columns to describe, comma-separated (default: age, sex, years of "
              "diagnosis, node counts, LNR, examination adequacy, ENE, and the stage, grade, "
              "subtype, race and treatment columns present in the data).")
@click.option("--tests", is_flag=True,
              help="Add p-values: Pearson's chi-squared (categorical), Kruskal-Wallis "
              "(continuous); each test is named beside its p-value.")
@click.option("--categorical", default="",
              help="Numeric columns to show as categories (n (%)), comma-separated.")
@click.option("--no-overall", is_flag=True, help="Leave out the Overall column.")
@suppress_option
@codes_option
@db_option
@format_option
@_friendly
def table1(where, by, variables, tests, categorical, no_overall, suppress_below, codes, db,
           fmt):
    """Table 1: characteristics of the eligible cases by group.

    The layout of gtsummary's tbl_summary: median (IQR) for continuous
    variables (quartiles as R's quantile(type = 2)), n (%) of known values
    for categorical ones, an Unknown row where values are missing. Counts
    below --suppress print as <11, and where one could be recovered by
    subtraction from a total, a second count is withheld (shown as a dash);
    groups smaller than --suppress are left out, of Overall too.

    Example: cohort table1 --where "site_group = 'breast'" --by node_burden --tests
    """
    from cohort.table1 import left_out, paper_layout

    cohort = Registry(db).cohort(where)
    result = cohort.table1(by=by or None, variables=_csv_list(variables) or None, tests=tests,
                           overall=not no_overall, suppress_below=suppress_below,
                           categorical=_csv_list(categorical), codes=codes)
    small = left_out(cohort, by or None, suppress_below=suppress_below)
    if small and not codes:
        from cohort.grouping import single_site
        from cohort.labels import label_values

        small = label_values(by, small, site=single_site(cohort) if by == "node_burden"
                             else None)
    notes = [f"cohort: {where}; eligible cases",
             "continuous: median (IQR), quartiles as R's quantile(type = 2); categorical: "
             "n (% of known values); Unknown: missing values"]
    if suppress_below:
        notes.append(f"counts below {suppress_below} shown as <{suppress_below}, their "
                     "percentages withheld; \u2013 marks a count withheld so that none below "
                     f"{suppress_below} can be recovered by subtraction")
    if small:
        notes.append(f"left out (fewer than {suppress_below} cases, not in Overall either): "
                     f"{', '.join(small)}")
    if fmt in ("csv", "json"):
        _emit_tables({"table1": result}, fmt, notes)
        return
    _emit_tables({"table1": result}, fmt, notes, readable_tables={"table1": paper_layout(
        result)})


def _reference_levels(reference: str) -> dict[str, str]:
    refs = {}
    for item in _csv_list(reference):
        if "=" not in item:
            raise click.BadParameter(f"reference must look like term=level, got {item!r}")
        k, v = item.split("=", 1)
        refs[k.strip()] = v.strip()
    return refs


def _profiles(value: str) -> list[dict]:
    """'node_burden=N0,age_at_dx=60;node_burden=N3,age_at_dx=60' -> two profiles."""
    profiles = []
    for part in [p for p in value.split(";") if p.strip()]:
        prof = {}
        for item in _csv_list(part):
            if "=" not in item:
                raise click.BadParameter(
                    f"a profile is term=value pairs separated by commas, got {item!r}")
            k, v = (x.strip() for x in item.split("=", 1))
            try:
                prof[k] = int(v)
            except ValueError:
                try:
                    prof[k] = float(v)
                except ValueError:
                    prof[k] = v
        profiles.append(prof)
    return profiles


@main.command()
@where_option
@click.option("--terms", required=True, help="Model terms, e.g. node_burden,age_at_dx.")
@click.option("--cause", type=click.Choice(["cancer", "other"]), default="cancer",
              show_default=True,
              help="Event of interest: death from this cancer (other deaths compete) or death "
              "from other causes (cancer deaths compete).")
@click.option("--strata", default="",
              help="Columns whose levels get their own censoring distribution (crr's "
              "cengroup), e.g. dx_year_group; with --compare they also stratify the Cox "
              "models.")
@click.option("--reference", default="",
              help="Reference levels, e.g. node_burden=N0 (default: lowest level present).")
@click.option("--compare", is_flag=True,
              help="Print cause-specific (Cox) and subdistribution (Fine-Gray) hazard ratios "
              "for both causes side by side (adjusted models).")
@click.option("--predict", "profiles", default="",
              help="Predicted cumulative incidence for covariate profiles separated by ';', "
              "e.g. 'node_burden=N0,age_at_dx=60;node_burden=N3,age_at_dx=60'.")
@click.option("--times", default="12,36,60", show_default=True,
              help="Months at which --predict reports the cumulative incidence.")
@convention_option
@suppress_option
@codes_option
@db_option
@format_option
@table_option(["subdistribution_hazard_ratios", "hazard_ratios", "model",
               "predicted_cumulative_incidence"])
@_friendly
def finegray(where, terms, cause, strata, reference, compare, profiles, times, convention,
             suppress_below, codes, db, fmt, table):
    """Fine-Gray competing-risks regression: subdistribution hazard ratios.

    Univariable and adjusted SHRs with 95% CIs and p-values, fitted exactly on
    the collapsed counts and equal to R's cmprsk::crr on the records: censoring
    weights from the Kaplan-Meier of the censoring distribution, Breslow ties,
    robust (sandwich) standard errors. Deaths of unknown cause are left out
    and counted.

    Example: cohort finegray --where "site_group = 'breast'" --terms node_burden,age_at_dx
    """
    c = Registry(db).cohort(where)
    refs = _reference_levels(reference)
    if compare:
        result = c.competing_hazards(_csv_list(terms), strata=_csv_list(strata),
                                     reference=refs, convention=convention)
        tables = result.tables(suppress_below=suppress_below, codes=codes)
        paper = {"hazard_ratios": result.summary(suppress_below=suppress_below, codes=codes),
                 "model": tables["model"]}
        _emit_tables(tables, fmt, [f"cohort: {where}", result.note], table=table,
                     readable_tables=paper)
        return
    result = c.finegray(_csv_list(terms), cause=cause, strata=_csv_list(strata),
                        reference=refs, convention=convention)
    tables = result.tables(suppress_below=suppress_below, codes=codes)
    paper = {"subdistribution_hazard_ratios": result.summary(suppress_below=suppress_below,
                                                             codes=codes),
             "model": tables["model"]}
    if profiles:
        predicted = result.predict(_profiles(profiles), times=_times(times))
        tables["predicted_cumulative_incidence"] = paper["predicted_cumulative_incidence"] = \
            predicted
    notes = [f"cohort: {where}; event: {cause} death, the other cause competing", result.note]
    _emit_tables(tables, fmt, notes, table=table, readable_tables=paper)


@main.command()
@where_option
@click.option("--by", default="node_burden", show_default=True,
              help="Grouping column ('' for the whole cohort).")
@click.option("--interval", type=click.Choice(["1", "3", "6", "12"]), default="12",
              show_default=True, help="Printed interval in months (computed monthly).")
@click.option("--horizon", type=click.IntRange(min=1), default=None,
              help="Months to tabulate (default: the follow-up up to 120, in whole "
                   "intervals).")
@click.option("--expected", type=click.Choice(["ederer2", "ederer1", "hakulinen"]),
              default="ederer2", show_default=True, help="Expected survival method.")
@click.option("--closing", default=None, metavar="YYYY-MM",
              help="Hakulinen: closing date of follow-up (default: the latest follow-up "
                   "month in the cohort).")
@click.option("--no-net", is_flag=True, help="Leave out the Pohar Perme net-survival columns.")
@click.option("--min-at-risk", type=click.IntRange(min=0), default=25, show_default=True,
              help="Blank the estimates from the first interval with fewer alive at its "
                   "start (SEER's rule).")
@click.option("--cap", is_flag=True,
              help="Cap interval relative survival at 1 (relative survival never rises).")
@click.option("--flag-se", type=click.FloatRange(min=0), default=0.1, show_default=True,
              help="Flag intervals whose cumulative standard error exceeds this.")
@click.option("--ci", "conf_type", type=click.Choice(["log-log", "log", "plain"]),
              default="log-log", show_default=True,
              help="95% CI of observed survival (relative and net: log scale unless plain).")
@click.option("--standardise", type=click.Choice(["1", "2", "3"]), default=None,
              help="Also give ICSS age-standardised cumulative survival (standard 1, 2, 3).")
@lifetable_option
@period_option
@given_option
@convention_option
@suppress_option
@codes_option
@db_option
@format_option
@table_option(["life_table", "age_standardised"])
@_friendly
def lifetable(where, by, interval, horizon, expected, closing, no_net, min_at_risk, cap,
              flag_se, conf_type, standardise, lifetable, period, given, convention,
              suppress_below, codes, db, fmt, table):
    """Actuarial life table with observed, expected, relative and net survival,
    as SEER*Stat prints it.

    Per interval: alive at start, died, lost or withdrawn, effective number at
    risk (n - w/2), interval observed, expected and relative survival, and
    cumulative observed, expected, relative (Ederer II, Ederer I or Hakulinen)
    and Pohar Perme net survival with standard errors and 95% CIs. Computed
    monthly, printed every --interval months.

    Example: cohort lifetable --where "site_group = 'breast'" --period 2018-2020
    """
    if given and float(given) != int(given):
        raise click.BadParameter("--given must be whole months for a life table")
    result = _cohort(db, where, period).lifetable(
        by=by or None, interval=int(interval), horizon=horizon, expected=expected,
        net=not no_net, lifetable=lifetable, conf_type=conf_type, min_at_risk=min_at_risk,
        cap=cap, flag_se=flag_se, standardise=int(standardise) if standardise else None,
        given=int(given), closing=closing, convention=convention,
    )
    tables = result.tables(suppress_below=suppress_below, codes=codes)
    paper = {"life table": result.printable(suppress_below=suppress_below, codes=codes),
             **({"age standardised (ICSS)": tables["age_standardised"]}
                if "age_standardised" in tables else {})}
    notes = [f"cohort: {where}", result.note,
             f"counts below {suppress_below} are shown as <{suppress_below}" if suppress_below
             else "counts are NOT suppressed: do not release this output"]
    _emit_tables(tables, fmt, notes, table=table, readable_tables=paper)


def _levels_option(value: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in _csv_list(value):
        if "=" not in item:
            raise click.BadParameter(f"give term=level pairs, e.g. node_burden=NX; got {item!r}")
        k, v = item.split("=", 1)
        out.setdefault(k.strip(), []).append(v.strip())
    return out


@main.command()
@where_option
@click.option("--terms", required=True,
              help="Model terms, e.g. node_burden,age_group,sex (age_group: ICSS bands of "
                   "age_at_dx).")
@click.option("--intervals", default="0,1,2,3,5", show_default=True,
              help="Follow-up interval boundaries in years (baseline excess hazard constant "
                   "within each).")
@click.option("--time-varying", default="",
              help="Terms whose excess hazard ratio may differ between intervals.")
@click.option("--reference", default="",
              help="Reference levels, e.g. node_burden=N0 (default: lowest level present).")
@click.option("--exclude", "exclude", default="",
              help="Levels to leave out, e.g. node_burden=NX,node_burden=N1 NOS.")
@lifetable_option
@period_option
@convention_option
@suppress_option
@codes_option
@db_option
@format_option
@table_option(["excess_hazard_ratios", "tests", "model", "baseline_excess"])
@_friendly
def ehr(where, terms, intervals, time_varying, reference, exclude, lifetable, period,
        convention, suppress_below, codes, db, fmt, table):
    """Excess hazard ratios: the Poisson model for relative survival
    (Dickman et al., Stat Med 2004).

    Deaths, expected deaths and person-years per follow-up interval and
    covariate pattern; d ~ Poisson(d* + y exp(b'x)). Excess hazard ratios with
    95% Wald CIs, Wald and likelihood-ratio tests per term, deviance and its
    goodness-of-fit test.

    Example: cohort ehr --where "site_group = 'breast'" --terms node_burden,age_group,sex
    """
    try:
        bounds = [float(x) for x in _csv_list(intervals)]
    except ValueError:
        raise click.BadParameter(f"intervals must be years separated by commas, got "
                                 f"{intervals!r}") from None
    refs = {k: v[-1] for k, v in _levels_option(reference).items()}
    result = _cohort(db, where, period).ehr(
        _csv_list(terms), intervals=bounds, time_varying=_csv_list(time_varying),
        reference=refs, lifetable=lifetable, exclude_levels=_levels_option(exclude),
        convention=convention,
    )
    tables = result.tables(suppress_below=suppress_below, codes=codes)
    paper = {"excess hazard ratios": result.summary(codes=codes), "tests": tables["tests"],
             "model": tables["model"], "baseline excess mortality (per person-year)":
             tables["baseline_excess"]}
    notes = [f"cohort: {where}; {result.records:,} cases in the model"
             + (f", {result.unknown:,} with an unknown term left out" if result.unknown else ""),
             result.note,
             "goodness of fit: deviance on cells - parameters df (p < 0.05: the model misses "
             "structure, e.g. non-proportional excess hazards)"]
    _emit_tables(tables, fmt, notes, table=table, readable_tables=paper)


@main.command()
@where_option
@click.option("--by", default="node_burden", show_default=True,
              help="Grouping column ('' for the whole cohort).")
@click.option("--times", default="12,36,60", show_default=True, help="Months to report.")
@lifetable_option
@convention_option
@suppress_option
@codes_option
@db_option
@format_option
@table_option(["crude_probability"])
@_friendly
def crude(where, by, times, lifetable, convention, suppress_below, codes, db, fmt, table):
    """Crude probability of death from the cancer and from other causes
    (Cronin & Feuer 2000), from all-cause deaths and the life table.

    The relative-survival counterpart of the cumulative incidence: it needs no
    cause of death. Cancer + other causes = 1 - observed survival.
    """
    result = Registry(db).cohort(where).crude_probability(
        by=by or None, times=_times(times), lifetable=lifetable, convention=convention)
    _emit_tables(result.tables(suppress_below=suppress_below, codes=codes), fmt,
                 [f"cohort: {where}", result.note], table=table)


@main.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.pdf"), show_default=True, help="PDF to write.")
@click.option("--figures", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write each page as PNG and SVG, and the tables as CSV, here.")
@click.option("--copy-spec", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Copy the default specification (commented) to this file, to edit, and "
              "stop.")
@click.option("--memory-limit", default="1GB", show_default=True,
              help="DuckDB's memory while the report runs; the cohort's records beyond it "
                   "spill to a temporary folder, so memory stays flat however large the "
                   "registry (raise it to run faster on a machine with memory to spare).")
@_friendly
def report(spec, db, output, figures, copy_spec, memory_limit):
    """Write the PDF survival report of SPEC (a TOML file; default: the
    bundled reports/node_burden.toml) over the registry database.

    Counts below the specification's threshold (default 11) are printed as
    <11 everywhere, numbers at risk included; the same database and
    specification give a byte-identical PDF. Start a specification of your
    own with --copy-spec my_report.toml.
    """
    from cohort.report import load_spec, write_report

    if copy_spec is not None:
        from cohort.report.spec import default_spec_path

        if copy_spec.exists():
            raise click.ClickException(f"{copy_spec} exists; give a new file name")
        copy_spec.write_text(default_spec_path().read_text("utf-8"), "utf-8")
        click.echo(f"wrote {copy_spec}: edit it, then run: cohort report {copy_spec}")
        return

    result = write_report(Registry(db), load_spec(spec), output, figures_dir=figures,
                          memory_limit=memory_limit)
    click.echo(f"wrote {result.path} ({result.pages} pages; sections: "
               f"{', '.join(result.sections)})")
    if figures:
        click.echo(f"wrote {len(result.figures)} figures and {len(result.tables)} tables "
                   f"to {figures}")


SYNTH_CHUNK = 200_000  # cohort.synth.CHUNK, written out: --help does not import synth


def _synth_progress(chunk: int):
    """A progress callback for ``cohort synth``: a line on stderr after each
    chunk, at most one every 5 seconds (and the last), when there is more
    than one chunk."""
    import time

    start = last = time.monotonic()

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if total <= chunk or (now - last < 5 and done < total):
            return
        last = now
        click.echo(f"synth: {done:,} of {total:,} records ({done / total:.0%}), "
                   f"{now - start:.0f} s", err=True)

    return report


@main.command()
@click.option("--n", "n", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Number of tumour records.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file (.csv, .csv.gz, .parquet, .xml; .txt or .gz for a SEER*Stat "
                   "export).")
@click.option("--format", "fmt", type=SYNTH_FORMATS, default=None,
              help="Output format (default: from the file name).")
@click.option("--chunk", type=click.IntRange(min=1), default=SYNTH_CHUNK, show_default=True,
              help="Records generated and written at a time (whole blocks of 100,000): memory "
                   "follows the chunk, not --n; the records do not depend on it.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@_friendly
def synth(n, seed, output, fmt, chunk, quiet):
    """Write a synthetic registry extract with a known truth.

    Sites, node codes (with the 95/97/98/99 specials and a few invalid
    values), extranodal extension, sentinel nodes, multiple primaries and
    survival drawn from a proportional-hazards model; the true hazard ratios
    go to OUTPUT.truth.json. A SEER*Stat export (--format seerstat-labels or
    seerstat-numeric) is written as SEER*Stat writes a case listing: the data
    file and its export dictionary (.dic) beside it.

    Records are generated and written a chunk at a time, so a 50-million-record
    extract needs no more memory than a small one; a run of several chunks
    reports its progress on stderr.
    """
    from cohort import synth as synth_module

    path = synth_module.write(output, n=n, seed=seed, format=fmt, chunk=chunk,
                              progress=None if quiet else _synth_progress(chunk))
    dic = ""
    if fmt and fmt.startswith("seerstat"):
        dic = f", dictionary: {path.with_name(path.name.split('.')[0] + '.dic')}"
    click.echo(f"wrote {n:,} records to {path} (truth: {path}.truth.json{dic})")


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
