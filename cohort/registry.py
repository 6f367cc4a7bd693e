"""The registry database: one DuckDB file holding loads, records and views.

Connections are opened per operation and closed after it, so several
analysts' processes can read the file between loads. Writes (loads) take
DuckDB's file lock; the SQL door opens the file read-only with file-system
access switched off, so a query can neither change the registry nor copy
it elsewhere.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from cohort.cohort import Cohort
from cohort.errors import (
    DatabaseError,
    DatabaseLockedError,
    InputError,
    NotARegistryError,
    QueryError,
    RegistryUpgradedWarning,
    RegistryVersionError,
)
from cohort.text import first_line, quote_ident, shorten, shorten_list

if TYPE_CHECKING:  # the readers and derivations load with the first load or derive
    from cohort.load import LoadResult

DEFAULT_DB = "registry.duckdb"
_MEMORY = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt])(i?)b\s*", re.IGNORECASE)
_MEMORY_MIN = 256 << 20  # below this DuckDB cannot read a wide file's blocks


def memory_bytes(limit: str, *, doing: str = "load with") -> int:
    """Bytes of a DuckDB memory cap such as ``"1.5GB"`` or ``"800MiB"``, or an
    InputError (``doing`` completes "too small to ...").

    >>> memory_bytes("1.5GB"), memory_bytes("512MiB")
    (1500000000, 536870912)
    """
    m = _MEMORY.fullmatch(limit)
    if not m:
        raise InputError(f"memory limit {limit!r} is not a size such as 1.5GB or 800MB")
    power = "kmgt".index(m.group(2).lower()) + 1
    size = float(m.group(1)) * (1024 if m.group(3) else 1000) ** power
    if size < _MEMORY_MIN:
        raise InputError(f"memory limit {limit!r} is too small to {doing}; give 256MiB (269MB) "
                         "or more")
    return int(size)


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # loads only

    try:
        return version("cohort")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def sql_dir() -> Path:
    """The shipped ``sql/`` folder (inside the wheel, or the source tree)."""
    packaged = resources.files("cohort").joinpath("sql")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "sql"


@cache
def sql_version() -> str:
    """A hash of the shipped SQL: views are recreated when it changes."""
    import hashlib

    digest = hashlib.sha256()
    for layer in ("schema", "pairing", "views"):
        for f in sql_files(layer):
            digest.update(f.name.encode() + f.read_bytes())
    return digest.hexdigest()[:16]


def sql_files(layer: str) -> list[Path]:
    """The ``.sql`` files of one layer (``schema``, ``pairing``, ``views``,
    ``cohorts``), in order."""
    return sorted((sql_dir() / layer).glob("*.sql"))


#: true when case_derived holds one row per raw_cases row in the same physical order
IN_STEP = """
select not exists (
    select 1
    from (select load_id, record_no from raw_cases) as r
    positional join (select load_id as d_load_id, record_no as d_record_no from case_derived)
    where r.load_id is distinct from d_load_id or r.record_no is distinct from d_record_no
)
"""


def pairing_sql(con: duckdb.DuckDBPyConnection) -> tuple[str, bool]:
    """The ``case_pairs`` view to create: by position when raw_cases and
    case_derived are in step (one scan, ~0.1 s for 10 million records), else
    by key; and whether it is by position."""
    in_step = bool(con.execute(IN_STEP).fetchone()[0])
    kind = "by_position" if in_step else "by_key"
    return (sql_dir() / "pairing" / f"{kind}.sql").read_text("utf-8"), in_step


def pair_cases(con: duckdb.DuckDBPyConnection) -> bool:
    """(Re)create ``case_pairs`` (see :func:`pairing_sql`). True when paired
    by position."""
    sql, in_step = pairing_sql(con)
    con.execute(sql)
    return in_step


def derive_loads(con: duckdb.DuckDBPyConnection, load_ids: Iterable[int] | None = None,
                 **kwargs) -> int:
    """:func:`cohort.derive.apply.derive_loads`, imported when first called (the
    derivations load polars expressions an analysis does not need)."""
    from cohort.derive.apply import derive_loads as derive

    return derive(con, load_ids, **kwargs)


class Registry:
    """A registry database file.

    Parameters
    ----------
    path
        The DuckDB file; default ``$COHORT_DB`` or ``./registry.duckdb``.
        It is created on the first load.

    Examples
    --------
    >>> import cohort, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> extract = cohort.synth.write(tmp / "extract.csv", n=200, seed=1)
    >>> reg = cohort.Registry(tmp / "registry.duckdb")
    >>> [r.rows_read == r.rows_loaded + r.rows_rejected for r in reg.load(extract)]
    [True]
    >>> reg.sql("select count(*) as n from loads")["n"].item()
    1
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path or os.environ.get("COHORT_DB") or DEFAULT_DB)

    def __repr__(self) -> str:
        return f"Registry({str(self.path)!r})"

    # -- connections ---------------------------------------------------------
    @contextmanager
    def _write(self, *, ensure: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        if _open_reads.get(self.path) is not None:
            raise DatabaseError(
                f"{self.path}: a read-only session of this registry is open in this script; "
                "load or derive after its `with registry.session()` block ends"
            )
        if self.path.is_dir():
            raise DatabaseError(f"{self.path}: is a directory; give a database file path")
        if not self.path.parent.exists() or not self.path.parent.is_dir():
            raise DatabaseError(
                f"{self.path}: cannot create the registry database, the folder "
                f"{self.path.parent} does not exist; create it or choose another --db path"
            )
        if self.path.is_file() and self.path.stat().st_size:
            _check_duckdb_file(self.path)
        con = _connect(self.path)
        try:
            _check_file_backed(self.path, con)
            tables = _user_tables(con)
            if tables and "cohort_meta" not in tables:
                raise NotARegistryError(_not_a_registry(self.path, tables))
            if ensure:
                self._ensure_schema(con)
            yield con
            pair_cases(con)  # loads and derivations change what pairs the records
        finally:
            con.close()

    @contextmanager
    def _read(self, *, memory_limit: str | None = None,
              temp_directory: str | os.PathLike | None = None
              ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; never writes, never upgrades.

        A registry written by another cohort version is read with this
        version's views (as temporary views of the connection) when its
        tables have every column they need; otherwise the user is told to
        run ``cohort upgrade``.

        ``memory_limit`` caps DuckDB's memory (temporary tables included:
        beyond it they spill to ``temp_directory``, default a folder beside
        the database).
        """
        shared = _open_reads.get(self.path)
        if shared is not None:
            # DuckDB shares one database per file in a process: a second
            # connection while this one is open could not turn its progress bar
            # off (the configuration is locked), nor take another memory limit
            yield shared
            return
        if not self.path.is_file() or not self.path.stat().st_size:
            raise DatabaseError(
                f"{self.path}: no registry database here; load an extract first "
                "(cohort load FILE --db PATH)"
            )
        _check_duckdb_file(self.path)
        config = {}
        if memory_limit is not None:
            config["memory_limit"] = f"{memory_bytes(memory_limit, doing='run with')}B"
        if temp_directory is not None:
            config["temp_directory"] = str(temp_directory)
        con = _connect(self.path, read_only=True, config=config)
        try:
            _check_file_backed(self.path, con)
            tables = _user_tables(con)
            if "cohort_meta" not in tables or "loads" not in tables:
                raise NotARegistryError(_not_a_registry(self.path, tables))
            found = con.execute("select value from cohort_meta where key = 'sql_version'"
                                ).fetchall()
            if not found or found[0][0] != sql_version():
                self._current_views(con)
            con.execute("set enable_progress_bar = false")  # queries print nothing
            # nothing a query does may change a setting (a log file, say)
            con.execute("set lock_configuration = true")
            with _open_reads.opened(self.path, con):
                yield con
        finally:
            con.close()

    def _current_views(self, con: duckdb.DuckDBPyConnection) -> None:
        """This version's views over an older registry's tables, as temporary
        views, or an error asking for ``cohort upgrade`` when they cannot be."""
        missing = _missing_columns(con)
        if not missing:
            try:
                con.execute(_temporary(pairing_sql(con)[0]))
                for f in sql_files("views"):
                    con.execute(_temporary(f.read_text("utf-8")))
                return
            except duckdb.Error as exc:
                missing = [first_line(exc)]
        raise RegistryVersionError(
            f"{self.path}: the registry was written by another version of cohort and lacks "
            f"what this version reads ({shorten_list(missing, 8)}); run `cohort upgrade "
            f"--db {self.path}` once (it updates the tables and views in place; the records "
            "are kept), then run the command again"
        )

    def upgrade(self) -> tuple[str | None, str]:
        """Bring an older registry's tables and views up to this version.

        The only command besides loading that writes. Returns the SQL
        version found and the one written (equal when nothing changed).
        """
        if not self.path.is_file():
            raise DatabaseError(f"{self.path}: no registry database here; nothing to upgrade")
        _check_duckdb_file(self.path)
        with self._write(ensure=False) as con:
            before = self._stored_version(con)
            if before != sql_version():
                self._ensure_schema(con, quiet=True)
        return before, sql_version()

    @staticmethod
    def _stored_version(con: duckdb.DuckDBPyConnection) -> str | None:
        try:
            found = con.execute("select value from cohort_meta where key = 'sql_version'"
                                ).fetchall()
        except duckdb.Error:
            return None
        return found[0][0] if found else None

    def _ensure_schema(self, con: duckdb.DuckDBPyConnection, *, quiet: bool = False) -> None:
        before = self._stored_version(con)
        if before == sql_version():
            return
        try:
            con.execute("begin transaction")
            for f in sql_files("schema"):
                con.execute(f.read_text("utf-8"))
            _add_missing_columns(con)
            pair_cases(con)
            for f in sql_files("views"):
                con.execute(f.read_text("utf-8"))
            con.execute("create table if not exists cohort_meta (key varchar primary key, "
                        "value varchar)")
            con.execute("insert or replace into cohort_meta values ('sql_version', ?)",
                        [sql_version()])
            con.execute("commit")
        except duckdb.Error as exc:
            _rollback(con)
            raise _write_error(self.path, exc, "set up the registry tables") from exc
        if before is not None and not quiet:
            warnings.warn(
                f"{self.path}: the registry's tables and views were upgraded to this version "
                "of cohort (records kept)", RegistryUpgradedWarning, stacklevel=4,
            )

    # -- loading -------------------------------------------------------------
    def load(
        self,
        paths: str | os.PathLike | Iterable[str | os.PathLike],
        *,
        strict: bool = False,
        replace: bool = False,
        format: str | None = None,
        progress: bool = False,
        derive: bool = True,
        keep_items: Iterable[str] = (),
        supersede: bool = False,
        max_reject_share: float | None = None,
        keep_partial: bool = False,
        memory_limit: str | None = None,
    ) -> list[LoadResult]:
        """Load extract files, each in its own transaction.

        Parameters
        ----------
        paths
            One file or several: CSV (any delimiter, plain or ``.gz``) or Parquet.
        strict
            Refuse a whole file when any record is invalid (default: invalid
            records go to ``rejects`` and the rest load).
        replace
            Load a file again even when its SHA-256 is already in ``loads``.
        format
            Override format detection (``csv`` or ``parquet``).
        progress
            Show DuckDB's progress bar for long reads.
        derive
            Derive the analysis variables (the ``cases`` view) in the same
            transaction; with ``False`` run :meth:`derive` later.
        keep_items
            Items outside the alias table to keep in ``raw_cases.extra``:
            NAACCR XML items (other unknown items are only counted), and
            free-text columns of delimited files (dropped by default).
            Identifiers are never kept.
        supersede
            The files are newer submissions: a record whose (patient_id,
            tumor_seq) is already loaded replaces the one in force (which
            stays in ``raw_cases`` with ``superseded_by`` set; see the
            ``superseded`` view) instead of being rejected as a duplicate.
        max_reject_share
            A file that loads no record, or rejects more than this share of
            its records, raises :class:`~cohort.errors.LoadRefusedError`
            naming the three most frequent reasons, and nothing of it is
            kept (default ``cohort.load.MAX_REJECT_SHARE``, 0.5).
        keep_partial
            Commit such a file's partial load anyway (the error is still
            raised, saying so).
        memory_limit
            DuckDB's memory limit while loading (default
            ``cohort.load.MEMORY_LIMIT``, 1.5GB): a larger file spills its
            staged records to a temporary folder beside the database, so
            memory stays flat however large the file.

        Returns
        -------
        list of LoadResult
            One per file, in order; ``rows_read = rows_loaded + rows_rejected``.

        A refused file leaves the registry as it was; when the refused load was
        the registry's first, no database file is left behind.
        """
        from cohort.load import MAX_REJECT_SHARE, MEMORY_LIMIT, load_file, set_memory_limit

        if max_reject_share is None:
            max_reject_share = MAX_REJECT_SHARE
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        results = []
        keep_items = list(keep_items)
        fresh = not os.path.exists(self.path)  # False, not an error, in a non-folder
        try:
            with self._write() as con:
                con.execute(f"set enable_progress_bar = {'true' if progress else 'false'}")
                set_memory_limit(con, memory_limit or MEMORY_LIMIT)
                for p in paths:
                    try:
                        result = load_file(
                            con,
                            Path(p),
                            strict=strict,
                            replace=replace,
                            supersede=supersede,
                            fmt=format,
                            package_version=package_version(),
                            on_loaded=(lambda c, i: derive_loads(c, [i])) if derive else None,
                            keep_items=keep_items,
                            max_reject_share=max_reject_share,
                            keep_partial=keep_partial,
                        )
                    except duckdb.Error as exc:  # the database, not the file, failed
                        raise _write_error(self.path, exc, f"load {Path(p).name}") from exc
                    results.append(result)
        except BaseException:
            if fresh:  # a refused first load leaves no empty registry behind
                _discard_if_unloaded(self.path)
            raise
        return results

    def derive(self, *, progress: Callable[[int], None] | None = None) -> int:
        """Re-derive the analysis variables of every loaded record.

        Needed after loading with ``derive=False`` or when the rules in
        ``cohort/data`` change. One transaction; returns the records derived.
        """
        with self._write() as con:
            con.execute("begin transaction")
            try:
                n = derive_loads(con, progress=progress)
                con.execute("commit")
            except duckdb.Error as exc:
                _rollback(con)
                raise _write_error(self.path, exc, "derive the analysis variables") from exc
            except BaseException:
                _rollback(con)
                raise
        return n

    @contextmanager
    def session(self, *, memory_limit: str | None = None,
                temp_directory: str | os.PathLike | None = None) -> Iterator[Session]:
        """One read-only connection for many queries (a report, a script).

        Temporary tables may be created in it (they vanish with it); the
        registry itself cannot be changed. ``memory_limit`` (``"1GB"``) caps
        DuckDB's memory: temporary tables larger than it spill to
        ``temp_directory`` (default: a folder beside the database).

        Until the block ends, every read of this registry file in the same
        thread (``registry.sql``, a cohort's analyses, a nested session, a
        second ``Registry`` of the file) goes through this connection and its
        settings; loading or deriving waits for the block to end (a
        :class:`~cohort.errors.DatabaseError` says so).
        """
        with self._read(memory_limit=memory_limit, temp_directory=temp_directory) as con:
            yield Session(self, con)

    def cohort(self, definition: str, *, params: list | dict | None = None) -> Cohort:
        """A cohort: a WHERE clause over ``cases``, a SELECT, or a named cohort
        (a file of ``sql/cohorts/``). See :class:`cohort.cohort.Cohort`."""
        return Cohort(self, definition, params)

    # -- the SQL door --------------------------------------------------------
    def sql(self, query: str, params: list | dict | None = None) -> pl.DataFrame:
        """Run one read-only query and return a polars DataFrame.

        Values are bound with ``?`` or ``$name`` placeholders, never pasted.
        Writes (``drop``, ``update``, ...) and file access raise
        :class:`~cohort.errors.QueryError`.
        """
        with self._read() as con:
            return _run(con, query, params)

    def sql_script(self, text: str) -> list[tuple[str, pl.DataFrame]]:
        """Run every statement of a SQL script; ``(statement, result)`` pairs."""
        with self._read() as con:
            try:
                statements = duckdb.extract_statements(text)
            except duckdb.Error as exc:
                raise QueryError(_clean(exc)) from exc
            return [(s.query.strip(), _run(con, s.query)) for s in statements]


class Session:
    """A read-only connection to the registry, reused across queries."""

    def __init__(self, registry: Registry, con: duckdb.DuckDBPyConnection):
        self.registry = registry
        self.path = registry.path
        self.con = con

    def sql(self, query: str, params: list | dict | None = None) -> pl.DataFrame:
        return _run(self.con, query, params)

    def cohort(self, definition: str, *, params: list | dict | None = None) -> Cohort:
        return Cohort(self, definition, params)

    def sql_typed(self, query: str, params: list | dict | None = None
                  ) -> tuple[pl.DataFrame, dict[str, duckdb.sqltypes.DuckDBPyType]]:
        """The result and the DuckDB type of each column (an ENUM's type lists its
        levels), from one query."""
        try:
            rel = self.con.sql(query, params=params)
            return _to_polars(rel), dict(zip(rel.columns, rel.types, strict=True))
        except duckdb.Error as exc:
            raise QueryError(_clean(exc)) from exc


def _run(con: duckdb.DuckDBPyConnection, query: str, params=None) -> pl.DataFrame:
    try:
        rel = con.sql(query, params=params)
        if rel is None:
            return pl.DataFrame()
        return _to_polars(rel)
    except duckdb.Error as exc:
        raise QueryError(_clean(exc)) from exc


# DuckDB types polars cannot take (or takes wrongly: UHUGEINT above 2**127
# came back negative) are fetched as DuckDB's own text for them.
_AS_TEXT = ("interval", "union", "bit", "bignum", "varint", "uhugeint", "time_tz",
            "time with time zone")


def _to_polars(rel: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """The relation as a polars frame, every DuckDB type included."""
    exprs, cast = [], False
    for i, t in enumerate(rel.types, start=1):
        if _needs_text(t):
            exprs.append(f"cast(#{i} as varchar) as {quote_ident(rel.columns[i - 1])}")
            cast = True
        else:
            exprs.append(f"#{i}")
    if cast:
        rel = rel.project(", ".join(exprs))
    # through the Arrow C stream interface: the frame of ``rel.pl()`` without
    # importing pyarrow (0.1-0.2 s of every command)
    return pl.DataFrame(rel)


def _needs_text(t) -> bool:
    text = str(t).lower()
    return any(word in text for word in _AS_TEXT)


def _clean(exc: duckdb.Error) -> str:
    msg = str(exc).strip()
    if "read-only mode" in msg:
        msg += ("\nThe SQL door is read-only: it cannot change the registry. Use cohort load "
                "to add data.")
    if "file system operations are disabled" in msg:
        msg += "\nThe SQL door cannot read or write files; load extracts with cohort load."
    if "the configuration has been locked" in msg:
        msg += "\nThe SQL door cannot change DuckDB settings (logging, paths, extensions)."
    return shorten(msg, 2000)


class _OpenReads(threading.local):
    """The read-only connection open in this thread for each registry file
    (a session, or one query), which reads nested in it reuse."""

    def __init__(self) -> None:
        self.by_path: dict[str, duckdb.DuckDBPyConnection] = {}

    @staticmethod
    def _key(path: Path) -> str:
        return os.path.realpath(path)

    def get(self, path: Path) -> duckdb.DuckDBPyConnection | None:
        return self.by_path.get(self._key(path)) if self.by_path else None

    @contextmanager
    def opened(self, path: Path, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        key = self._key(path)
        self.by_path[key] = con
        try:
            yield
        finally:
            self.by_path.pop(key, None)


_open_reads = _OpenReads()


def _connect(path: Path, *, read_only: bool = False,
             config: dict | None = None) -> duckdb.DuckDBPyConnection:
    try:
        if read_only:
            return duckdb.connect(str(path), read_only=True,
                                  config={"enable_external_access": False, **(config or {})})
        return duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise _open_error(path, exc) from exc


def _discard_if_unloaded(path: Path) -> None:
    """Remove a registry this process created when no load reached it (the
    first load was refused): nothing may remain that looks like a registry."""
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            loaded = con.execute("select count(*) from loads").fetchall()[0][0]
        finally:
            con.close()
    except (duckdb.Error, OSError):
        loaded = None  # not a registry we can read (the path was never created, say)
    if loaded != 0 and os.path.exists(path):
        return
    for leftover in (path, path.with_name(path.name + ".wal")):
        try:
            leftover.unlink(missing_ok=True)
        except OSError:
            pass


def _check_duckdb_file(path: Path) -> None:
    """Refuse a file that is not a DuckDB database before DuckDB sees it
    (DuckDB opens a CSV or Parquet file as an in-memory database with the
    file as a view, so a load would go nowhere)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot read the registry database ({exc.strerror}); "
                            "check the path and its permissions") from exc
    if head[8:12] == b"DUCK":
        return
    kind = "a text file (an extract?)" if head and b"\x00" not in head else "not a DuckDB file"
    if head[:4] == b"PAR1":
        kind = "a Parquet file"
    elif head[:2] == b"\x1f\x8b":
        kind = "a gzip file"
    elif head[:6] == b"SQLite":
        kind = "an SQLite database"
    raise NotARegistryError(
        f"{path}: is not a registry database: it is {kind}. Give the registry's DuckDB "
        "file with --db (extracts are loaded with cohort load FILE --db REGISTRY)"
    )


def _check_file_backed(path: Path, con: duckdb.DuckDBPyConnection) -> None:
    found = con.execute("select path from duckdb_databases() "
                        "where database_name = current_database()").fetchone()
    if not found or not found[0]:
        raise NotARegistryError(
            f"{path}: DuckDB did not open this as a database file; give the registry's "
            "DuckDB file with --db"
        )


def _user_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'main'").fetchall()}


def _not_a_registry(path: Path, tables: set[str]) -> str:
    listed = shorten_list(sorted(tables), 8) if tables else "no tables"
    return (
        f"{path}: is a DuckDB database but not a cohort registry (it has {listed}, and no "
        "cohort_meta or loads table); nothing was read or changed. Give the registry's path "
        "with --db, or a new file name to create a registry with cohort load"
    )


@cache
def _expected_types() -> dict[tuple[str, str], str]:
    """(table, column) -> SQL type of every table the shipped schema creates."""
    con = duckdb.connect()
    try:
        for f in sql_files("schema"):
            con.execute(f.read_text("utf-8"))
        return {(t, c): ty for t, c, ty in con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'main'").fetchall()}
    finally:
        con.close()


def _expected_columns() -> frozenset[tuple[str, str]]:
    """(table, column) of every table the shipped schema creates."""
    return frozenset(_expected_types())


def _add_missing_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Columns a newer schema added to a table an older registry already has
    (``create table if not exists`` leaves such a table as it is); they
    start null."""
    types = _expected_types()
    for name in _missing_columns(con):
        table, column = name.split(".", 1)
        con.execute(f"alter table {quote_ident(table)} add column if not exists "
                    f"{quote_ident(column)} {types[(table, column)]}")


def _missing_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    have = set(con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema = 'main'").fetchall())
    return sorted(f"{t}.{c}" for t, c in _expected_columns() - have)


def _temporary(sql: str) -> str:
    """A view file's statements creating temporary views instead."""
    return re.sub(r"(?im)^\s*create\s+or\s+replace\s+view\b", "create or replace temp view",
                  sql)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back, keeping the error that got us here: after a failed commit
    (a full disk) DuckDB has no transaction left to roll back."""
    try:
        con.execute("rollback")
    except duckdb.Error:
        pass


def _write_error(path: Path, exc: BaseException, doing: str) -> DatabaseError:
    msg = str(exc)
    if "No space left on device" in msg or "Disk full" in msg:
        return DatabaseError(
            f"{path}: the disk is full (No space left on device) while trying to {doing}; "
            "nothing was written, the registry is as it was. Free some space (or choose "
            "another --db folder) and run the command again"
        )
    return DatabaseError(f"{path}: cannot {doing}: {shorten(first_line(exc), 300)}")


def _open_error(path: Path, exc: duckdb.Error) -> DatabaseError:
    msg = str(exc)
    if "lock" in msg.lower():
        holder = re.search(r"Conflicting lock is held in (.*?) \(PID (\d+)\)", msg)
        who = f" ({Path(holder.group(1)).name}, PID {holder.group(2)})" if holder else ""
        return DatabaseLockedError(
            f"{path}: the registry database is in use by another process{who}, which "
            "is loading or writing it; wait for it to finish (or close it) and try again"
        )
    if "No space left on device" in msg:
        return _write_error(path, exc, "open the registry database")
    if "different configuration" in msg:
        return DatabaseError(
            f"{path}: the registry is already open in this process with other settings "
            "(a DuckDB connection of your own, or a session or load in another thread); "
            "close that connection, or wait for the other thread to finish"
        )
    return DatabaseError(
        f"{path}: cannot open or create the registry database ({shorten(first_line(exc), 300)}); "
        "check that the folder is writable and the file is a registry, or choose another "
        "path with --db or $COHORT_DB"
    )
