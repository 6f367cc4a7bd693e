"""The registry database: one DuckDB file holding loads, records and views.

Connections are opened per operation and closed after it, so several
analysts' processes can read the file between loads. Writes (loads) take
DuckDB's file lock; the SQL door opens the file read-only with file-system
access switched off, so a query can neither change the registry nor copy
it elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import duckdb
import polars as pl

from cohort.cohort import Cohort
from cohort.derive.apply import derive_loads
from cohort.errors import DatabaseError, DatabaseLockedError, QueryError
from cohort.load import MAX_REJECT_SHARE, LoadResult, load_file

DEFAULT_DB = "registry.duckdb"


def package_version() -> str:
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


def sql_version() -> str:
    """A hash of the shipped SQL: views are recreated when it changes."""
    import hashlib

    digest = hashlib.sha256()
    for layer in ("schema", "views"):
        for f in sql_files(layer):
            digest.update(f.name.encode() + f.read_bytes())
    return digest.hexdigest()[:16]


def sql_files(layer: str) -> list[Path]:
    """The ``.sql`` files of one layer (``schema``, ``views``, ``cohorts``), in order."""
    return sorted((sql_dir() / layer).glob("*.sql"))


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
    def _write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.path.is_dir():
            raise DatabaseError(f"{self.path}: is a directory; give a database file path")
        if not self.path.parent.exists() or not self.path.parent.is_dir():
            raise DatabaseError(
                f"{self.path}: cannot create the registry database, the folder "
                f"{self.path.parent} does not exist; create it or choose another --db path"
            )
        try:
            con = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            raise _open_error(self.path, exc) from exc
        except duckdb.Error as exc:
            raise DatabaseError(f"{self.path}: cannot open the registry database: {exc}") from exc
        try:
            self._ensure_schema(con)
            yield con
        finally:
            con.close()

    @contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if not self.path.is_file():
            raise DatabaseError(
                f"{self.path}: no registry database here; load an extract first "
                "(cohort load FILE --db PATH)"
            )
        self._upgrade_views()
        try:
            con = duckdb.connect(
                str(self.path), read_only=True, config={"enable_external_access": False}
            )
        except duckdb.IOException as exc:
            raise _open_error(self.path, exc) from exc
        except duckdb.Error as exc:
            raise DatabaseError(f"{self.path}: cannot open the registry database: {exc}") from exc
        try:
            con.execute("set enable_progress_bar = false")  # queries print nothing
            yield con
        finally:
            con.close()

    def _upgrade_views(self) -> None:
        """Databases written by an older cohort get the current views before a
        read (views are recreated on every write; a read cannot write)."""
        try:
            with duckdb.connect(str(self.path), read_only=True) as con:
                found = con.execute(
                    "select value from cohort_meta where key = 'sql_version'"
                ).fetchall()
        except duckdb.Error:
            found = []
        if found and found[0][0] == sql_version():
            return
        try:
            with self._write():
                pass
        except DatabaseError:
            return  # locked or read-only: the queries say what is missing

    def _ensure_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        try:
            con.execute("begin transaction")
            for layer in ("schema", "views"):
                for f in sql_files(layer):
                    con.execute(f.read_text("utf-8"))
            con.execute("create table if not exists cohort_meta (key varchar primary key, "
                        "value varchar)")
            con.execute("insert or replace into cohort_meta values ('sql_version', ?)",
                        [sql_version()])
            con.execute("commit")
        except duckdb.Error as exc:
            con.execute("rollback")
            raise DatabaseError(f"{self.path}: cannot set up the registry tables: {exc}") from exc

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
        max_reject_share: float = MAX_REJECT_SHARE,
        keep_partial: bool = False,
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
            NAACCR XML items outside the alias table to keep in
            ``raw_cases.extra`` (other unknown items are only counted).
        max_reject_share
            A file that loads no record, or rejects more than this share of
            its records, raises :class:`~cohort.errors.LoadRefusedError`
            naming the three most frequent reasons, and nothing of it is
            kept (default 0.5).
        keep_partial
            Commit such a file's partial load anyway (the error is still
            raised, saying so).

        Returns
        -------
        list of LoadResult
            One per file, in order; ``rows_read = rows_loaded + rows_rejected``.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        results = []
        with self._write() as con:
            con.execute(f"set enable_progress_bar = {'true' if progress else 'false'}")
            for p in paths:
                results.append(
                    load_file(
                        con,
                        Path(p),
                        strict=strict,
                        replace=replace,
                        fmt=format,
                        package_version=package_version(),
                        on_loaded=(lambda c, i: derive_loads(c, [i])) if derive else None,
                        keep_items=keep_items,
                        max_reject_share=max_reject_share,
                        keep_partial=keep_partial,
                    )
                )
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
            except BaseException:
                con.execute("rollback")
                raise
        return n

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One read-only connection for many queries (a report, a script).

        Temporary tables may be created in it (they vanish with it); the
        registry itself cannot be changed.
        """
        with self._read() as con:
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


def _run(con: duckdb.DuckDBPyConnection, query: str, params=None) -> pl.DataFrame:
    try:
        rel = con.sql(query, params=params)
        return pl.DataFrame() if rel is None else rel.pl()
    except duckdb.Error as exc:
        raise QueryError(_clean(exc)) from exc


def _clean(exc: duckdb.Error) -> str:
    msg = str(exc).strip()
    if "read-only mode" in msg:
        msg += "\nThe SQL door is read-only: it cannot change the registry. Use cohort load to add data."
    if "file system operations are disabled" in msg:
        msg += "\nThe SQL door cannot read or write files; load extracts with cohort load."
    return msg


def _open_error(path: Path, exc: duckdb.Error) -> DatabaseError:
    msg = str(exc)
    if "lock" in msg.lower():
        return DatabaseLockedError(
            f"{path}: the registry database is in use by another process "
            f"({msg.split('Conflicting lock is held in')[-1].strip() if 'Conflicting' in msg else msg}); "
            "wait for it to finish (or close it) and try again"
        )
    return DatabaseError(
        f"{path}: cannot open or create the registry database ({msg.splitlines()[0]}); "
        "check that the folder is writable, or choose another path with --db or $COHORT_DB"
    )
