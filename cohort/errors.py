"""Errors and warnings raised by cohort.

Every error a user can meet is a :class:`CohortError`; its message names the
file, record, field and value involved and ends with what to do about it.

::

    CohortError
    ├── InputError               an extract file cannot be read as given
    │   ├── IdentifierError      the file carries a direct identifier
    │   └── ColumnError          required columns missing or ambiguous
    ├── StrictLoadError          --strict and some records are invalid
    ├── LoadRefusedError         a file loaded nothing, or rejected too many records
    ├── DatabaseError            the registry database cannot be opened or written
    │   └── DatabaseLockedError  another process holds the database
    ├── QueryError               a SQL query failed (including writes on the read-only door)
    └── CompetingRisksError      a competing-risks analysis cannot be done as asked

    CohortWarning                statistical or data caveats (never printed directly)
    └── QuasiIdentifierWarning   a quasi-identifier column was dropped on load
"""

from __future__ import annotations


class CohortError(Exception):
    """Base class of every error raised by cohort."""


class InputError(CohortError):
    """An extract file cannot be read: missing, empty, binary, malformed."""


class IdentifierError(InputError):
    """The extract carries a direct identifier (name, SSN, address, ...)."""


class ColumnError(InputError):
    """Required columns are missing, or two columns mean the same item."""


class StrictLoadError(CohortError):
    """``strict=True`` and at least one record failed validation."""


class LoadRefusedError(CohortError):
    """A file loaded no record, or rejected more than the accepted share.

    ``result`` is the file's :class:`cohort.load.LoadResult`; ``kept`` tells
    whether the partial load was committed anyway (``keep_partial=True``).
    """

    def __init__(self, message: str, *, result=None, kept: bool = False):
        super().__init__(message)
        self.result = result
        self.kept = kept


class DatabaseError(CohortError):
    """The registry database cannot be created, opened or written."""


class DatabaseLockedError(DatabaseError):
    """Another process has the registry database open for writing."""


class QueryError(CohortError):
    """A SQL query failed; the message is DuckDB's own."""


class CompetingRisksError(CohortError):
    """A competing-risks analysis cannot be done as asked: unknown cause codes,
    no events of the cause, a group without events, a singular model."""


class CohortWarning(UserWarning):
    """Base class of cohort's warnings."""


class QuasiIdentifierWarning(CohortWarning):
    """A quasi-identifier column (date of birth, postal code, ...) was dropped."""
