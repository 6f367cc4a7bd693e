"""Loading one extract file into the registry database, atomically.

A file is read, validated and written inside one transaction: it lands whole
(every record in ``raw_cases`` or ``rejects``) or not at all. Before the
transaction starts the file is read once, streamed: its SHA-256, a full check
of gzip data (CRC-32 and length of every member) and, for delimited text, its
rows (blank lines, records spanning lines) so record and line numbers stay
true. A file whose SHA-256 is already in ``loads`` is skipped unless
``replace`` is asked for. With ``supersede`` a newer submission replaces the
records of the same (patient_id, tumor_seq) in force.

Values a loaded record does not depend on, and that cannot be codes of their
item, are set to unknown and listed in ``item_edits``. A file that loads no
record, or rejects more than ``max_reject_share`` of them, is refused (the
database is left as it was unless ``keep_partial``).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np

from cohort import numbering
from cohort.columns import drop_free_text, map_columns
from cohort.errors import (
    InputError,
    LoadInterrupted,
    LoadRefusedError,
    StrictLoadError,
    interrupted,
)
from cohort.interrupts import interruptible
from cohort.readers import Source, detect_format, open_source
from cohort.readers.base import first_line
from cohort.readers.seerstat import dictionary_path
from cohort.readers.textfile import (
    FileScan,
    Lines,
    check_file_head,
    normalise_endings,
    read_head,
    scan_file,
    scan_lines,
    shorten,
    transcode_to_utf8,
    utf_encoding,
)
from cohort.registry import memory_bytes
from cohort.validate import prepare, staged_items, staging_query, typed_select

STAGING = "__staging"
DUPLICATES = "__duplicates"
STRUCTURAL = "__structural"
_LINE_FORMATS = ("csv", "seerstat")  # records are rows of delimited text
MAX_REJECT_SHARE = 0.5  # a file rejecting more than this share of its records is refused
# DuckDB's memory while loading: beyond it the staged records spill to a
# temporary folder beside the database, so a load's peak memory does not
# grow with the file (a 10-million-record file peaked at 6 GB without it).
# 10 million CSV records: 1.5GB peaks at 1.76 GiB (1.75GB: 1.96 GiB) for about 5%
# more CPU; 1 million do not reach the cap (the staging table holds only the
# items a file carries).
MEMORY_LIMIT = "1.5GB"


def set_memory_limit(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """Cap DuckDB's memory on ``con`` (``"1.5GB"``, ``"800MB"``), or an InputError."""
    con.execute(f"set memory_limit = '{memory_bytes(limit)}B'")


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
    blank_lines: int = 0
    superseded: int = 0
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
        blank = (f"; {self.blank_lines:,} blank line{'s' if self.blank_lines != 1 else ''} "
                 "skipped" if self.blank_lines else "")
        newer = (f"; {self.superseded:,} record{'s' if self.superseded != 1 else ''} "
                 "superseded" if self.superseded else "")
        edited = (
            f"; {self.values_edited:,} invalid values set to unknown in "
            f"{self.records_edited:,} loaded records" if self.values_edited else ""
        )
        return (
            f"{self.file.name}: read {self.rows_read:,} = {verb} {self.rows_loaded:,}"
            f" + rejected {self.rows_rejected:,} ({self.format}, sha256 {self.sha256[:12]},"
            f" {self.seconds:.1f} s){blank}{newer}{edited}{unused}"
        )


def check_file(path: Path) -> Path:
    """The path as an existing, non-empty regular file, or an InputError."""
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path and the spelling")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give the extract files inside it")
    if not path.is_file():
        raise InputError(f"{path}: is not a regular file; give an extract file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty; export the extract again")
    return path


# -- reading the file before the transaction ------------------------------------
@dataclass
class _Prepared:
    read_path: Path  # what the reader opens (a UTF-8 copy of a UTF-16/32 file)
    fmt: str
    scan: FileScan


@contextmanager
def _prepared(path: Path, fmt: str | None) -> Iterator[_Prepared]:
    """Check the file's bytes, find its format, hash and verify it in one pass.

    Delimited text DuckDB cannot read as it is gets a temporary UTF-8 copy
    that the reader opens instead: UTF-16 or UTF-32 text decoded, and line
    endings made uniform when CR LF and LF are mixed (line breaks kept, so
    line numbers hold).
    """
    check_file_head(path)
    head = read_head(path)
    encoding = utf_encoding(head)
    tmp = None
    read_path = path
    try:
        if encoding is not None:
            text = head[:4096].decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n")
            if fmt not in (None, *_LINE_FORMATS) or text.startswith("<"):
                raise InputError(
                    f"{path}: the file is {encoding.upper()} text; NAACCR XML and fixed-width "
                    "files must be UTF-8 or ASCII. Save the file as UTF-8 and load again"
                )
            tmp = _temp_dir(path)
            read_path = transcode_to_utf8(path, encoding, tmp / f"utf8-{path.name}")
        fmt = fmt or detect_format(read_path)
        lines_here = fmt in _LINE_FORMATS
        scan = scan_file(path, lines=lines_here and read_path == path)
        if lines_here and read_path != path:
            scan.lines = scan_lines(read_path, quote=b'"')
        if lines_here and scan.lines is not None and scan.lines.mixed_endings:
            tmp = tmp or _temp_dir(path)
            read_path = normalise_endings(read_path, tmp / f"lf-{path.name}")
        if read_path != path:
            read_path = read_path.rename(read_path.with_name(path.name))
        yield _Prepared(read_path, fmt, scan)
    except InputError as exc:
        if read_path == path:
            raise
        raise type(exc)(str(exc).replace(str(read_path), str(path))) from exc
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _temp_dir(path: Path) -> Path:
    """A private folder for a rewritten copy of ``path``, with the SEER*Stat
    dictionary beside it when the file has one."""
    tmp = Path(tempfile.mkdtemp(prefix="cohort-"))
    dic = dictionary_path(path)
    if dic is not None:
        shutil.copy(dic, tmp / dic.name)
    return tmp


# -- the load -------------------------------------------------------------------
def load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    strict: bool = False,
    replace: bool = False,
    supersede: bool = False,
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
    ``keep_items`` names items outside the alias table to keep in
    ``raw_cases.extra`` (NAACCR XML items; free-text columns). A file that
    loads no record, or rejects more than ``max_reject_share`` of its
    records, raises :class:`LoadRefusedError` and leaves the database as it
    was, unless ``keep_partial`` (then the load is committed first, and the
    error says so).

    Raises :class:`LoadInterrupted` on Ctrl-C, saying whether the file had
    been committed.
    """
    started = time.perf_counter()
    path = check_file(Path(path))
    keep_items = list(keep_items)
    try:
        with _prepared(path, fmt) as prep:
            sha = prep.scan.sha256
            prior = con.execute(
                "select load_id from loads where sha256 = ? order by load_id limit 1", [sha]
            ).fetchall()
            prior = prior[0] if prior else None
            if prior and not replace:
                return LoadResult(path, sha, load_id=prior[0], skipped=True)
            skip = prep.scan.lines.leading_blank() if prep.scan.lines is not None else 0
            source = open_source(con, prep.read_path, prep.fmt, keep_items=keep_items,
                                 skip_rows=skip)
            try:
                mapping, extra, dropped = map_columns(path, source.columns, keep_items)
            except BaseException:
                if source.release:
                    source.release(con)
                raise
            result = LoadResult(path, sha, source.format, extra_columns=extra,
                                dropped_columns=dropped, unused_items=source.unused_items,
                                replaced=bool(prior))
            with interruptible(con):
                _load(con, path, source, prep.scan, result, mapping=mapping, prior=prior,
                      strict=strict, supersede=supersede, package_version=package_version,
                      on_loaded=on_loaded, keep_items=keep_items,
                      max_reject_share=max_reject_share, keep_partial=keep_partial)
    except BaseException as exc:
        if isinstance(exc, LoadInterrupted) or not interrupted(exc):
            raise
        raise LoadInterrupted(
            f"{path}: interrupted before it was loaded; nothing from it was written",
            path=path) from exc
    result.seconds = time.perf_counter() - started
    refused = _refusal(path, result, max_reject_share)
    if refused:  # reached only with keep_partial: the load was committed
        raise LoadRefusedError(
            f"{refused}; kept anyway as load {result.load_id} (--keep-partial): see "
            f"cohort sql \"select * from rejects where load_id = {result.load_id}\"",
            result=result,
            kept=True,
        )
    return result


def _load(con, path: Path, source: Source, scan: FileScan, result: LoadResult, *, mapping,
          prior, strict, supersede, package_version, on_loaded, keep_items,
          max_reject_share, keep_partial) -> None:
    """The transaction: stage, number, check, insert, account, commit."""
    committed = False
    con.execute("begin transaction")
    try:
        if prior:
            _forget(con, prior[0])
        load_id = con.execute(
            "insert into loads (file_name, file_path, sha256, size_bytes, format, "
            "columns_kept_extra, columns_dropped, loaded_at, package_version, duckdb_version, "
            "supersedes) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning load_id",
            [path.name, str(path.resolve()), result.sha256, scan.size, source.format,
             result.extra_columns, result.dropped_columns, datetime.now().replace(microsecond=0),
             package_version, duckdb.__version__, supersede],
        ).fetchall()[0][0]
        result.load_id = load_id
        prepare(con)
        _stage(con, path, source, mapping, result.extra_columns)
        num = _number(con, source, scan)
        result.blank_lines = num.blank
        dropped = drop_free_text(con, STAGING, path, result.extra_columns, keep_items)
        if dropped:
            result.extra_columns = [c for c in result.extra_columns if c not in dropped]
            result.dropped_columns = result.dropped_columns + dropped
            con.execute("update loads set columns_kept_extra = ?, columns_dropped = ? "
                        "where load_id = ?",
                        [result.extra_columns, result.dropped_columns, result.load_id])
        rec, line = num.record_no, num.line_no
        _flag_duplicates(con, rec, supersede=supersede)
        ok = f"len(errors) = 0 and rowid not in (select row_id from {DUPLICATES})"
        typed = typed_select(STAGING, load_id, record_no=rec, where=ok,
                             staged=staged_items(mapping))
        con.execute(f"insert into raw_cases by name {typed}")
        if supersede:
            result.superseded = _supersede(con, load_id)
        _insert_rejects(con, load_id, path.name, rec, line, num.structural_numbers)
        _insert_edits(con, load_id, path.name, rec, line, ok)
        _account(con, path, load_id, result, num.structural_numbers)
        if strict and result.values_edited and not result.rows_rejected:
            _refuse_strict_edits(con, path, load_id, result)
        if strict and result.rows_rejected:
            _refuse_strict(con, path, load_id, result)
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
            "update loads set rows_read = ?, rows_loaded = ?, rows_rejected = ?, "
            "blank_lines = ?, records_superseded = ? where load_id = ?",
            [result.rows_read, result.rows_loaded, result.rows_rejected, result.blank_lines,
             result.superseded, load_id],
        )
        con.execute("commit")
        committed = True
    except BaseException as exc:
        if not committed:
            if interrupted(exc):  # Python saw Ctrl-C: stop a query DuckDB may still run
                try:
                    con.interrupt()
                except duckdb.Error:
                    pass
            _rollback(con)
        if interrupted(exc) and not isinstance(exc, LoadInterrupted):
            raise LoadInterrupted(
                f"{path}: interrupted while loading; rolled back, nothing from it was written",
                path=path) from exc
        raise
    finally:
        _clean_up(con, source, committed, path, result)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back; a failed commit (a full disk) leaves no transaction to roll
    back, and that second error must not hide the first."""
    try:
        con.execute("rollback")
    except duckdb.Error:
        pass


def _clean_up(con, source: Source, committed: bool, path: Path, result: LoadResult) -> None:
    """Drop the load's temp tables; an interrupt now cannot undo a commit."""
    try:
        for table in (STAGING, DUPLICATES, STRUCTURAL, numbering.STRUCT_NUMBERS,
                      source.structural_rejects):
            if table:
                try:
                    con.execute(f"drop table if exists {table}")
                except duckdb.Error:
                    pass
        if source.release:
            source.release(con)
    except BaseException as exc:
        if committed and interrupted(exc):
            raise LoadInterrupted(f"{path}: loaded (load {result.load_id}) before the "
                                  "interrupt", path=path, committed=True, result=result) from exc
        if not interrupted(exc):
            raise


def _forget(con, load_id: int) -> None:
    """Remove an earlier load of the same file (``--replace``); records it had
    superseded come back in force."""
    con.execute("update raw_cases set superseded_by = null where superseded_by = ?", [load_id])
    for table in ("case_derived", "raw_cases", "rejects", "item_edits", "loads"):
        con.execute(f"delete from {table} where load_id = ?", [load_id])


def _stage(con, path: Path, source: Source, mapping: dict, extra: list[str]) -> None:
    sql, params = staging_query(source, mapping, extra)
    try:
        con.execute(f"create or replace temp table {STAGING} as {sql}", params)
    except duckdb.Error as exc:
        if interrupted(exc):
            raise
        if source.error is not None:  # the reader's own message, not DuckDB's wrapper
            raise source.error from exc
        raise _read_error(path, source.format, exc) from exc


def _read_error(path: Path, fmt: str, exc: BaseException) -> InputError:
    """A reader's failure as one line, without DuckDB's or Python's pages."""
    text = str(exc).strip()
    text = text.split("Detail: Python exception:")[0].strip().rstrip(".")
    detail = shorten(first_line(Exception(text)) if text else type(exc).__name__, 200)
    if fmt == "parquet":
        return InputError(
            f"{path}: the Parquet file is damaged or truncated and cannot be read ({detail}); "
            "nothing was loaded. Export or copy it again"
        )
    if "No space left on device" in text:
        return InputError(f"{path}: cannot be read: the disk is full ({detail})")
    return InputError(f"{path}: cannot be read: {detail}; nothing was loaded")


def _number(con, source: Source, scan: FileScan) -> numbering.Numbering:
    """Record and line numbers of the staged records (see cohort.numbering)."""
    first_id = con.execute(f"select coalesce(min(rowid), 0) from {STAGING}").fetchall()[0][0]
    k = f"({STAGING}.rowid - {int(first_id)} + 1)"
    struct_rows, blank_ws = _structural_rejects(con, source)
    if source.first_line is None:  # records are not lines (XML, Parquet)
        return numbering.Numbering(k, "null")
    first = source.first_line
    if source.format not in _LINE_FORMATS:  # one record per line, nothing skipped
        return numbering.Numbering(k, f"({k} + {first - 1})")
    staged = con.execute(f"select count(*) from {STAGING}").fetchall()[0][0]
    lines = scan.lines
    ok = numbering.consistent(first, lines, staged, struct_rows)
    if not ok and lines is not None and lines.complete and lines.quote is not None:
            # DuckDB may have read the file without quoting: count its rows so
        lines = scan_lines(Path(source.params["path"]), quote=None)
        ok = numbering.consistent(first, lines, staged, struct_rows)
        if ok:
            scan.lines = lines
    if ok:
        k_start, rec, line = numbering.steps(first, lines, struct_rows)
        rec_sql, line_sql = numbering.apply_steps(con, STAGING, k, k_start, rec, line)
        table = None
        if len(struct_rows):
            s_rec, s_line = numbering.structural_numbers(first, lines, struct_rows)
            table = numbering.register_structural(con, struct_rows, s_rec, s_line)
        return numbering.Numbering(rec_sql, line_sql, int(len(lines.blank)), table)
    # The scan and DuckDB disagree (an unusual dialect): number the records
    # among those DuckDB saw, and leave the line unknown rather than guess.
    rows = np.unique(struct_rows)
    k_start, rec, _ = numbering.steps(first, _no_lines(blank_ws), rows)
    rec_sql, _ = numbering.apply_steps(con, STAGING, k, k_start, rec, rec)
    table = None
    if len(rows):
        s_rec, _ = numbering.structural_numbers(first, _no_lines(blank_ws), rows)
        table = numbering.register_structural(con, rows, s_rec, None)
    return numbering.Numbering(rec_sql, "null", int(len(blank_ws)), table)


def _no_lines(blank_rows: np.ndarray) -> Lines:
    return Lines(rows=0, blank=blank_rows)


def _structural_rejects(con, source: Source):
    """The reader's parse rejects as one row per record and problem (a temp
    table ``__structural``); returns the rows of refused records, and the
    whitespace-only rows DuckDB took for records (blank lines, not rejects)."""
    empty = np.zeros(0, np.int64)
    if not source.structural_rejects:
        return empty, empty
    con.execute(
        f"create or replace temp table {STRUCTURAL} as "
        "with e as (select line as row_no, error_type, column_idx, column_name, error_message, "
        "ltrim(csv_line, chr(10) || chr(13)) as csv_line "
        f"from {source.structural_rejects}), "
        "firsts as (select row_no, error_type, arg_min(column_name, column_idx) as field, "
        "any_value(csv_line) as value, arg_min(error_message, column_idx) as error_message "
        "from e group by all) "
        "select row_no, field, value, "
        "case error_type "
        "when 'INVALID ENCODING' then 'the line is not valid UTF-8 text; re-export "
        "the extract as UTF-8' "
        "when 'MISSING COLUMNS' then 'the line has too few fields (' || error_message || "
        "'); the record is truncated or a delimiter is missing' "
        "when 'TOO MANY COLUMNS' then 'the line has too many fields (' || error_message || "
        "'); an unquoted delimiter inside a value?' "
        "when 'UNQUOTED VALUE' then 'a quote inside an unquoted value (' || error_message "
        "|| '); quote the whole value and double the quotes inside it' "
        "else cast(error_type as varchar) || ': ' || error_message end as reason, "
        "trim(value, ' ' || chr(9) || chr(13)) = '' and error_type = 'MISSING COLUMNS' "
        "as blank "
        "from firsts"
    )
    con.execute(f"drop table if exists {source.structural_rejects}")
    source.structural_rejects = None
    blank = con.execute(f"select distinct row_no from {STRUCTURAL} where blank order by 1"
                        ).fetchall()
    con.execute(f"delete from {STRUCTURAL} where blank").fetchall()
    rows = con.execute(f"select distinct row_no from {STRUCTURAL} order by 1").fetchall()
    return (np.array([r[0] for r in rows], np.int64), np.array([r[0] for r in blank], np.int64))


def _insert_rejects(con, load_id: int, file_name: str, rec: str, line: str,
                    structural: str | None) -> None:
    con.execute(
        "insert into rejects select ?, ?, record_no, line_no, e.field, e.value, e.reason from "
        f"(select {rec} as record_no, {line} as line_no, unnest(errors) as e from {STAGING} "
        "where len(errors) > 0)",
        [load_id, file_name],
    )
    con.execute(
        f"insert into rejects select ?, ?, {rec}, {line}, "
        "'tumor_seq', patient_id || '/' || tumor_seq, d.reason "
        f"from {STAGING} join {DUPLICATES} as d on {STAGING}.rowid = d.row_id",
        [load_id, file_name],
    )
    if structural:
        con.execute(
            "insert into rejects select ?, ?, n.record_no, n.line_no, s.field, s.value, s.reason "
            f"from {STRUCTURAL} as s join {structural} as n using (row_no)",
            [load_id, file_name],
        )


def _insert_edits(con, load_id: int, file_name: str, rec: str, line: str, ok: str) -> None:
    """Values set to unknown in records that loaded (NAACCR EDITS style)."""
    con.execute(
        "insert into item_edits select ?, ?, record_no, line_no, e.item, e.value, e.reason from "
        f"(select {rec} as record_no, {line} as line_no, unnest(edits) as e from {STAGING} "
        f"where len(edits) > 0 and {ok})",
        [load_id, file_name],
    )


def _account(con, path: Path, load_id: int, result: LoadResult, structural: str | None) -> None:
    ok = f"len(errors) = 0 and rowid not in (select row_id from {DUPLICATES})"
    staged, loaded = con.execute(
        f"select count(*), count(*) filter (where {ok}) from {STAGING}"
    ).fetchall()[0]
    n_structural = (con.execute(f"select count(*) from {structural}").fetchall()[0][0]
                    if structural else 0)
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
    ).fetchall()[0]
    result.edit_reasons = [
        tuple(r)
        for r in con.execute(
            "select item, reason, count(*) as n from item_edits where load_id = ? "
            "group by all order by n desc, item limit 10",
            [load_id],
        ).fetchall()
    ]


def _refuse_strict(con, path: Path, load_id: int, result: LoadResult) -> None:
    field_, reason, _ = result.reject_reasons[0]
    first = con.execute(
        "select record_no, value from rejects where load_id = ? and field is not distinct "
        "from ? and reason = ? order by record_no limit 1",
        [load_id, field_, reason],
    ).fetchall()[0]
    raise StrictLoadError(
        f"{path}: {result.rows_rejected:,} of {result.rows_read:,} records are "
        f"invalid (first: record {first[0]}, {field_} = {shorten(first[1], 80)!r}: "
        f"{shorten(reason, 200)}); --strict refuses the whole file, nothing was loaded. "
        "Correct the records or load without --strict to keep the valid ones"
    )


def _refuse_strict_edits(con, path: Path, load_id: int, result: LoadResult) -> None:
    item, reason, _ = result.edit_reasons[0]
    first = con.execute(
        "select record_no, value from item_edits where load_id = ? and item = ? "
        "order by record_no limit 1",
        [load_id, item],
    ).fetchall()[0]
    raise StrictLoadError(
        f"{path}: {result.records_edited:,} of {result.rows_read:,} records carry "
        f"invalid values (first: record {first[0]}, {item} = {shorten(first[1], 80)!r}: "
        f"{shorten(reason.removesuffix('; set to unknown'), 200)}); --strict refuses the whole "
        "file, nothing was loaded. Correct the records or load without --strict to load "
        "them with those values unknown"
    )


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
    top = "; ".join(f"{n:,} x {field_}: {shorten(reason, 200)}"
                    for field_, reason, n in result.reject_reasons[:3])
    return f"{what}. Most frequent reasons: {top}"


def _supersede(con, load_id: int) -> int:
    """Records in force with the same (patient_id, tumor_seq) as a record of
    this load are superseded by it; returns how many."""
    return con.execute(
        "update raw_cases as r set superseded_by = $new "
        "from (select patient_id, tumor_seq from raw_cases where load_id = $new) as n "
        "where r.patient_id = n.patient_id and r.tumor_seq = n.tumor_seq "
        "and r.superseded_by is null and r.load_id <> $new",
        {"new": load_id},
    ).fetchall()[0][0]


def _flag_duplicates(con: duckdb.DuckDBPyConnection, rec: str, *, supersede: bool = False
                     ) -> None:
    """Find second records of the same (patient_id, tumor_seq): a temp table
    of staging row ids and reasons.

    Only keys seen twice in the file, or already in force in raw_cases, are
    looked at closely, so the common case (no duplicates) costs one
    aggregation. With ``supersede`` a key already in force is an update,
    not a duplicate.
    """
    across = "" if supersede else """
            union all
            select v.row_id,
                   'duplicate (patient_id, tumor_seq): already loaded from ' || l.file_name
                   || ' record ' || r.record_no || '; keep one record per tumour, or load '
                   || 'with --supersede if this file updates that one' as reason
            from valid as v
            join raw_cases as r using (patient_id, tumor_seq)
            join loads as l on l.load_id = r.load_id
            where r.superseded_by is null"""
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
            found as (select * from within_file{across})
            select row_id, min(reason) as reason
            from found
            group by row_id
        """
    )


__all__ = ["MEMORY_LIMIT", "LoadResult", "check_file", "interrupted", "load_file",
           "map_columns", "set_memory_limit"]
