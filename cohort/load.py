"""Loading one extract file into the registry database, atomically.

A file is read, validated and written inside one transaction: it lands whole
(every record in ``raw_cases`` or ``rejects``) or not at all. A file whose
SHA-256 is already in ``loads`` is skipped unless ``replace`` is asked for.
Values a loaded record does not depend on, and that cannot be codes of their
item, are set to unknown and listed in ``item_edits``. A file that loads no
record, or rejects more than ``max_reject_share`` of them, is refused (the
database is left as it was unless ``keep_partial``).
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from cohort.errors import (
    ColumnError,
    IdentifierError,
    InputError,
    LoadRefusedError,
    QuasiIdentifierWarning,
    StrictLoadError,
)
from cohort.items import canonical_name, identifier, items_by_name, required_groups
from cohort.readers import Source, open_source
from cohort.readers.base import first_line
from cohort.readers.seerstat import looks_like_values
from cohort.validate import prepare, staging_query, typed_select

STAGING = "__staging"
DUPLICATES = "__duplicates"
MAX_REJECT_SHARE = 0.5  # a file rejecting more than this share of its records is refused


@dataclass
class LoadResult:
    """What happened to one file: its accounting and provenance."""

    file: Path
    sha256: str
    format: str | None = None
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    values_edited: int = 0
    records_edited: int = 0
    skipped: bool = False
    replaced: bool = False
    extra_columns: list[str] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    unused_items: list[str] = field(default_factory=list)
    reject_reasons: list[tuple[str, str, int]] = field(default_factory=list)
    edit_reasons: list[tuple[str, str, int]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line an analyst can read: read = loaded + rejected."""
        if self.skipped:
            return (
                f"{self.file.name}: already loaded (load {self.load_id}, "
                f"sha256 {self.sha256[:12]}); skipped. Use --replace to load it again."
            )
        verb = "reloaded" if self.replaced else "loaded"
        # NAACCR files carry hundreds of items cohort does not use: counted here
        unused = f"; {len(self.unused_items):,} items not used" if self.unused_items else ""
        edited = (
            f"; {self.values_edited:,} invalid values set to unknown in "
            f"{self.records_edited:,} loaded records" if self.values_edited else ""
        )
        return (
            f"{self.file.name}: read {self.rows_read:,} = {verb} {self.rows_loaded:,}"
            f" + rejected {self.rows_rejected:,} ({self.format}, sha256 {self.sha256[:12]},"
            f" {self.seconds:.1f} s){edited}{unused}"
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_file(path: Path) -> Path:
    """The path as an existing, non-empty regular file, or an InputError."""
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path and the spelling")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give the extract files inside it")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty; export the extract again")
    return path


def map_columns(
    path: Path, columns: list[str]
) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Match a file's columns to items: (canonical -> columns, extra, dropped).

    An item may come from several columns (``Primary Site`` and ``Primary
    Site - labeled``): validation keeps the most precise value and rejects
    records whose columns disagree. Refuses direct identifiers and missing
    required items; drops quasi-identifiers with a
    :class:`QuasiIdentifierWarning`.
    """
    mapping: dict[str, list[str]] = {}
    extra, dropped, direct = [], [], []
    for col in columns:
        ident = identifier(col)
        if ident is not None and ident.kind == "direct":
            direct.append(f"{col!r} ({ident.what})")
            continue
        if ident is not None:
            dropped.append(col)
            continue
        name = canonical_name(col)
        if name is None:
            extra.append(col)
        else:
            mapping.setdefault(name, []).append(col)
    if direct:
        raise IdentifierError(
            f"{path}: column {', '.join(direct)} is a direct identifier; cohort loads "
            "de-identified extracts only, so nothing was loaded. Remove the column from "
            "the extract and load again"
        )
    missing = []
    for group, names in required_groups().items():
        if group == "yes":
            missing += [_describe(n) for n in names if n not in mapping]
        elif not any(n in mapping for n in names):
            missing.append("one of " + " or ".join(_describe(n) for n in names))
    if missing:
        hint = ""
        if len(columns) == 1:
            hint = (
                " The header was read as one column, so the delimiter was not recognised;"
                " use comma, tab, semicolon or pipe."
            )
        elif looks_like_values(columns):
            hint = (
                " The first line holds SEER*Stat values, not names: a SEER*Stat export without"
                " variable names needs its export dictionary (.dic, same name) beside it."
            )
        raise ColumnError(
            f"{path}: required columns missing: {'; '.join(missing)}. "
            f"The file has: {', '.join(columns)}.{hint} Rename or add the columns "
            "(accepted names are listed in cohort's items.csv) and load again"
        )
    if dropped:
        warnings.warn(
            f"{path}: dropped quasi-identifier column(s) {', '.join(dropped)}; "
            "they are not needed for survival analysis",
            QuasiIdentifierWarning,
            stacklevel=3,
        )
    return mapping, extra, dropped


def _describe(name: str) -> str:
    it = items_by_name()[name]
    return f"{name} (NAACCR {it.item} {it.naaccr_id})" if it.item else name


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    strict: bool = False,
    replace: bool = False,
    fmt: str | None = None,
    package_version: str = "",
    on_loaded: Callable[[duckdb.DuckDBPyConnection, int], None] | None = None,
    keep_items: Iterable[str] = (),
    max_reject_share: float = MAX_REJECT_SHARE,
    keep_partial: bool = False,
) -> LoadResult:
    """Load one extract in one transaction; see :meth:`cohort.Registry.load`.

    ``on_loaded(con, load_id)`` runs inside the transaction after the records
    are in (the registry derives the analysis variables there).
    ``keep_items`` names NAACCR XML items outside the alias table to keep in
    ``raw_cases.extra``. A file that loads no record, or rejects more than
    ``max_reject_share`` of its records, raises :class:`LoadRefusedError`
    and leaves the database as it was, unless ``keep_partial`` (then the
    load is committed first, and the error says so).
    """
    started = time.perf_counter()
    path = check_file(Path(path))
    sha = sha256_of(path)
    prior = con.execute(
        "select load_id from loads where sha256 = ? order by load_id limit 1", [sha]
    ).fetchone()
    if prior and not replace:
        return LoadResult(path, sha, load_id=prior[0], skipped=True)

    source = open_source(con, path, fmt, keep_items=keep_items)
    try:
        mapping, extra, dropped = map_columns(path, source.columns)
    except BaseException:
        if source.release:
            source.release(con)
        raise
    result = LoadResult(path, sha, source.format, extra_columns=extra, dropped_columns=dropped,
                        unused_items=source.unused_items)
    con.execute("begin transaction")
    try:
        if prior:
            result.replaced = True
            for table in ("case_derived", "raw_cases", "rejects", "item_edits", "loads"):
                con.execute(f"delete from {table} where load_id = ?", [prior[0]])
        load_id = con.execute(
            "insert into loads (file_name, file_path, sha256, size_bytes, format, "
            "columns_kept_extra, columns_dropped, loaded_at, package_version, duckdb_version) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning load_id",
            [
                path.name,
                str(path.resolve()),
                sha,
                path.stat().st_size,
                source.format,
                extra,
                dropped,
                datetime.now().replace(microsecond=0),
                package_version,
                duckdb.__version__,
            ],
        ).fetchone()[0]
        result.load_id = load_id
        prepare(con)
        sql, params = staging_query(source, mapping, extra)
        try:
            con.execute(f"create or replace temp table {STAGING} as {sql}", params)
        except duckdb.Error as exc:
            if source.error is not None:  # the reader's own message, not DuckDB's wrapper
                raise source.error from exc
            raise InputError(f"{path}: cannot be read: {first_line(exc)}") from exc
        structural = _structural_rejects(con, source)
        rec = _record_no(con, structural)
        _flag_duplicates(con, rec)
        ok = f"len(errors) = 0 and rowid not in (select row_id from {DUPLICATES})"
        valid = typed_select(STAGING, load_id, record_no=rec, where=ok)
        con.execute(f"insert into raw_cases by name {valid}")
        line = f"record_no + {source.first_line - 1}" if source.first_line else "null"
        con.execute(
            "insert into rejects select ?, ?, record_no, "
            f"{line}, e.field, e.value, e.reason from "
            f"(select {rec} as record_no, unnest(errors) as e from {STAGING} "
            "where len(errors) > 0)",
            [load_id, path.name],
        )
        con.execute(
            f"insert into rejects select ?, ?, {rec}, {line.replace('record_no', rec)}, "
            "'tumor_seq', patient_id || '/' || tumor_seq, d.reason "
            f"from {STAGING} join {DUPLICATES} as d on {STAGING}.rowid = d.row_id",
            [load_id, path.name],
        )
        if structural:
            con.execute(
                "insert into rejects select ?, ?, record_no, line_no, field, value, reason "
                f"from {structural}",
                [load_id, path.name],
            )
        # values set to unknown in records that loaded (NAACCR EDITS style)
        con.execute(
            "insert into item_edits select ?, ?, record_no, "
            f"{line}, e.item, e.value, e.reason from "
            f"(select {rec} as record_no, unnest(edits) as e from {STAGING} "
            f"where len(edits) > 0 and {ok})",
            [load_id, path.name],
        )
        staged, loaded = con.execute(
            f"select count(*), count(*) filter (where {ok}) from {STAGING}"
        ).fetchone()
        n_structural = (
            con.execute(f"select count(distinct record_no) from {structural}").fetchone()[0]
            if structural
            else 0
        )
        result.rows_read = staged + n_structural
        result.rows_loaded = loaded
        result.rows_rejected = result.rows_read - loaded
        if result.rows_read == 0:
            raise InputError(f"{path}: has a header but no records; export the extract again")
        result.reject_reasons = [
            (f, r, n)
            for f, r, n in con.execute(
                # reasons that name another record (duplicates) are counted together
                "select field, regexp_replace(reason, 'record [0-9]+', 'record n', 'g') "
                "as reason, count(distinct record_no) as n from rejects "
                "where load_id = ? group by all order by n desc, field limit 10",
                [load_id],
            ).fetchall()
        ]
        result.values_edited, result.records_edited = con.execute(
            "select count(*), count(distinct record_no) from item_edits where load_id = ?",
            [load_id],
        ).fetchone()
        result.edit_reasons = [
            tuple(r)
            for r in con.execute(
                "select item, reason, count(*) as n from item_edits where load_id = ? "
                "group by all order by n desc, item limit 10",
                [load_id],
            ).fetchall()
        ]
        if strict and result.values_edited and not result.rows_rejected:
            item, reason, _ = result.edit_reasons[0]
            first = con.execute(
                "select record_no, value from item_edits where load_id = ? and item = ? "
                "order by record_no limit 1",
                [load_id, item],
            ).fetchone()
            raise StrictLoadError(
                f"{path}: {result.records_edited:,} of {result.rows_read:,} records carry "
                f"invalid values (first: record {first[0]}, {item} = {first[1]!r}: "
                f"{reason.removesuffix('; set to unknown')}); --strict refuses the whole file, "
                "nothing was loaded. Correct the records or load without --strict to load "
                "them with those values unknown"
            )
        if strict and result.rows_rejected:
            field_, reason, _ = result.reject_reasons[0]
            first = con.execute(
                "select record_no, value from rejects where load_id = ? and field = ? "
                "and reason = ? order by record_no limit 1",
                [load_id, field_, reason],
            ).fetchone()
            raise StrictLoadError(
                f"{path}: {result.rows_rejected:,} of {result.rows_read:,} records are "
                f"invalid (first: record {first[0]}, {field_} = {first[1]!r}: {reason}); "
                "--strict refuses the whole file, nothing was loaded. Correct the records "
                "or load without --strict to keep the valid ones"
            )
        refused = _refusal(path, result, max_reject_share)
        if refused and not keep_partial:
            raise LoadRefusedError(
                f"{refused}; nothing was loaded. Correct the extract (or check that it is "
                "the right file and format), or load with --keep-partial to keep what "
                "loaded, or raise --max-reject-share",
                result=result,
            )
        if on_loaded is not None:
            on_loaded(con, load_id)
        con.execute(
            "update loads set rows_read = ?, rows_loaded = ?, rows_rejected = ? "
            "where load_id = ?",
            [result.rows_read, result.rows_loaded, result.rows_rejected, load_id],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for table in (STAGING, DUPLICATES, source.structural_rejects):
            if table:
                con.execute(f"drop table if exists {table}")
        if source.release:
            source.release(con)
    result.seconds = time.perf_counter() - started
    if refused:
        raise LoadRefusedError(
            f"{refused}; kept anyway as load {result.load_id} (--keep-partial): see "
            f"cohort sql \"select * from rejects where load_id = {result.load_id}\"",
            result=result,
            kept=True,
        )
    return result


def _refusal(path: Path, result: LoadResult, max_share: float) -> str | None:
    """Why a load must be refused (no record loaded, or too many rejected), with
    the three most frequent reasons; None when it may stand."""
    if result.rows_loaded and result.rows_rejected <= max_share * result.rows_read:
        return None
    if result.rows_loaded == 0:
        what = (f"{path}: no record loaded ({result.rows_rejected:,} of "
                f"{result.rows_read:,} rejected)")
    else:
        what = (
            f"{path}: {result.rows_rejected:,} of {result.rows_read:,} records rejected "
            f"({result.rows_rejected / result.rows_read:.0%}, more than the accepted "
            f"{max_share:.0%})"
        )
    top = "; ".join(f"{n:,} x {field}: {reason}" for field, reason, n in result.reject_reasons[:3])
    return f"{what}. Most frequent reasons: {top}"


def _structural_rejects(con: duckdb.DuckDBPyConnection, source: Source) -> str | None:
    """Turn the reader's own parse rejects into reject rows (a temp table)."""
    if not source.structural_rejects:
        return None
    table = "__structural"
    con.execute(
        f"create or replace temp table {table} as "
        f"select line - {(source.first_line or 2) - 1} as record_no, line as line_no, "
        "column_name as field, "
        "csv_line as value, "
        "case error_type "
        "when 'INVALID ENCODING' then 'the line is not valid UTF-8 text; re-export "
        "the extract as UTF-8' "
        "when 'MISSING COLUMNS' then 'the line has too few fields (' || error_message || "
        "'); the record is truncated or a delimiter is missing' "
        "when 'TOO MANY COLUMNS' then 'the line has too many fields (' || error_message || "
        "'); an unquoted delimiter inside a value?' "
        "else cast(error_type as varchar) || ': ' || error_message end as reason "
        f"from {source.structural_rejects}"
    )
    con.execute(f"drop table if exists {source.structural_rejects}")
    source.structural_rejects = table
    if not con.execute(f"select count(*) from {table}").fetchone()[0]:
        return None
    return table


def _record_no(con: duckdb.DuckDBPyConnection, structural: str | None) -> str:
    """SQL numbering the staged records as the file numbers them.

    Staging keeps file order, so the k-th staged row is the k-th record the
    parser accepted (row ids are consecutive; uncommitted tables number them
    from an offset, hence the ``min(rowid)``). Records it skipped (``r_1 < r_2 <
    ...``) shift the later ones: record = ``k + #{j : r_j - j < k}``.
    """
    first = con.execute(f"select coalesce(min(rowid), 0) from {STAGING}").fetchone()[0]
    k = f"({STAGING}.rowid - {int(first)} + 1)"
    if structural is None:
        return k
    return (
        f"({k} + (select count(*) from (select record_no - row_number() over "
        f"(order by record_no) as t from (select distinct record_no from {structural})) "
        f"where t < {k}))"
    )


def _flag_duplicates(con: duckdb.DuckDBPyConnection, rec: str) -> None:
    """Find second records of the same (patient_id, tumor_seq): a temp table
    of staging row ids and reasons.

    Only keys seen twice in the file, or already in raw_cases, are looked
    at closely, so the common case (no duplicates) costs one aggregation.
    """
    con.execute(
        f"""
        create or replace temp table {DUPLICATES} as
            with valid as (
                select rowid as row_id, {rec} as record_no, patient_id, tumor_seq
                from {STAGING}
                where len(errors) = 0
            ),
            repeated as (
                select patient_id, tumor_seq from valid group by all having count(*) > 1
            ),
            within_file as (
                select row_id,
                       'duplicate (patient_id, tumor_seq): same as record ' || first_rec
                       || ' of this file; keep one record per tumour' as reason
                from (
                    select row_id,
                           first_value(record_no) over w as first_rec,
                           row_number() over w as rn
                    from valid semi join repeated using (patient_id, tumor_seq)
                    window w as (partition by patient_id, tumor_seq order by record_no)
                )
                where rn > 1
            ),
            across_files as (
                select v.row_id,
                       'duplicate (patient_id, tumor_seq): already loaded from ' || l.file_name
                       || ' record ' || r.record_no || '; keep one record per tumour' as reason
                from valid as v
                join raw_cases as r using (patient_id, tumor_seq)
                join loads as l on l.load_id = r.load_id
            )
            select row_id, min(reason) as reason
            from (select * from within_file union all select * from across_files)
            group by row_id
        """
    )
