"""NAACCR fixed-width extracts: the version 18 incidence record (type ``I``).

Every line is one 4,048-character record; an item is a fixed slice of it
(``cohort/data/naaccr_flat_v18.csv``: start column and length of each item
the alias table uses, from the official v18 dictionary). NAACCR stopped
publishing fixed-width layouts after v18 (XML is the exchange standard from
v21); files labelled 210-250 in the wild reuse the v18 grid, so those
versions are read with it too. Other lengths (v14-v16 records are 3,339
characters) are refused with the reason.

The file is read in blocks with numpy: line ends, lengths, record type,
version and byte range are checked for a whole block at once, and each item
becomes an Arrow string column straight from the block's bytes, with no
Python work per record. A pre-pass does the checks before the load starts
and finds which identifier fields hold anything, so the loader can refuse or
drop them as it does for other formats.
"""

from __future__ import annotations

import csv
import gzip
import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cohort.errors import InputError
from cohort.readers.base import BATCH_ROWS, Source, arrow_stream_source
from cohort.readers.textfile import GZIP_ERRORS, gzip_error

RECORD_LENGTH = 4048
RECORD_TYPE = b"I"
# v18 itself, and later versions' "4048-byte" files that reuse its grid
VERSIONS = (b"180", b"210", b"220", b"230", b"240", b"250")
_BLOCK = 16 << 20
_KNOWN_LENGTHS = {
    3339: "a NAACCR v14-v16 incidence record",
    22824: "a NAACCR v14-v16 abstract record",
    5564: "a NAACCR v14-v16 confidential record",
    24194: "a NAACCR v18 abstract record (type A)",
    6154: "a NAACCR v18 confidential record (type C)",
}


@dataclass(frozen=True)
class Field:
    item: str
    naaccr_id: str
    start: int  # 1-based, as in the NAACCR dictionary
    length: int
    role: str  # item | control | quasi-identifier | direct-identifier


@cache
def layout() -> tuple[Field, ...]:
    """The v18 columns of the items cohort reads (``naaccr_flat_v18.csv``)."""
    text = resources.files("cohort").joinpath("data", "naaccr_flat_v18.csv").read_text("utf-8")
    return tuple(
        Field(r["item"], r["naaccr_id"], int(r["start"]), int(r["length"]), r["role"])
        for r in csv.DictReader(text.splitlines())
    )


def _field_at(column: int) -> str:
    """The layout item covering a 1-based column, for error messages."""
    for f in layout():
        if f.start <= column < f.start + f.length:
            return f"item {f.naaccr_id} ({f.item}, columns {f.start}-{f.start + f.length - 1})"
    return f"column {column}"


def naaccr_flat_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """The :class:`Source` for a v18 fixed-width incidence file.

    A field blank in every record counts as absent, as an item left out of
    a NAACCR XML file does: the loader then judges required items and
    identifiers the same way for both NAACCR formats.
    """
    wanted = [f for f in layout() if f.role == "item" or f.role.endswith("identifier")]
    carried = np.zeros(len(wanted), dtype=bool)
    n_records = 0
    for _, rec in records(path):
        n_records += rec.shape[0]
        for k, f in enumerate(wanted):
            if not carried[k]:
                carried[k] = bool((rec[:, f.start - 1:f.start - 1 + f.length] != 32).any())
    if not n_records:
        raise InputError(f"{path}: no records, only blank lines; export the extract again")
    fields = [f for k, f in enumerate(wanted) if carried[k] and f.role == "item"]
    idents = [f.naaccr_id for k, f in enumerate(wanted) if carried[k] and f.role != "item"]
    names = [f.naaccr_id for f in fields]
    return arrow_stream_source(
        con,
        "naaccr-flat",
        names + idents,
        lambda: _batches(path, fields),
        relation_columns=names,
        first_line=1,
    )


def _batches(path: Path, fields: list[Field]) -> Iterator[pa.RecordBatch]:
    names = [f.naaccr_id for f in fields]
    pending: list[list[pa.Array]] = []
    n_pending = 0
    for _, rec in records(path):
        n = rec.shape[0]
        pending.append([_slice(rec, f, n) for f in fields])
        n_pending += n
        if n_pending >= BATCH_ROWS:
            yield _concat(pending, names)
            pending, n_pending = [], 0
    if pending:
        yield _concat(pending, names)


def _slice(rec: np.ndarray, f: Field, n: int) -> pa.Array:
    """One item of every record in the block, as an Arrow string column
    built on the sliced bytes (fixed width: offsets are multiples of it).

    Trailing blanks are the layout's padding, and an all-blank field is an
    empty item: it becomes NULL, as the item left out of NAACCR XML does.
    """
    data = np.ascontiguousarray(rec[:, f.start - 1:f.start - 1 + f.length])
    offsets = np.arange(n + 1, dtype=np.int32) * f.length
    raw = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    trimmed = pc.utf8_rtrim(raw, characters=" ")
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _concat(pending: list[list[pa.Array]], names: list[str]) -> pa.RecordBatch:
    cols = [pa.concat_arrays([chunk[j] for chunk in pending]) for j in range(len(names))]
    return pa.record_batch(cols, names=names)


def records(path: Path) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (line number of the first record, records as an (n, 4048) uint8
    array) block by block, after checking every line of the block.

    Raises :class:`InputError` naming the file, line and item for a line of
    the wrong length, a record type other than ``I``, an unknown record
    version, or a byte outside ASCII. Blank lines are allowed only at the
    end of the file.
    """
    line_no = 0  # lines before the current window
    blank_at = 0  # first blank line seen, if no record has followed it yet
    for window, eof, consume in _windows(path):
        fast = None if eof else _uniform(path, window, line_no + 1)
        if fast is not None:
            m, stride, rec = fast
            yield line_no + 1, rec
            line_no += m
            consume(m * stride)
            continue
        ends = np.flatnonzero(window == 10)
        if eof and window.size and window[-1] != 10:  # last line without its newline
            ends = np.append(ends, window.size)
        if len(ends) == 0:
            if window.size > 16 * RECORD_LENGTH:
                raise InputError(
                    f"{path}: line {line_no + 1}: no line break in {window.size:,} bytes; a "
                    f"NAACCR fixed-width file has one {RECORD_LENGTH}-character record per line"
                )
            consume(window.size if eof else 0)
            continue
        starts = np.concatenate(([0], ends[:-1] + 1))
        lengths = ends - starts
        cr = (lengths > 0) & (window[np.maximum(ends - 1, 0)] == 13)
        lengths = lengths - cr
        nonblank = lengths > 0
        if blank_at and nonblank.any():
            _bad_length(path, blank_at, 0)
        blank = np.flatnonzero(~nonblank)
        if blank.size:
            if nonblank[blank[0]:].any():
                _bad_length(path, line_no + int(blank[0]) + 1, 0)
            blank_at = blank_at or line_no + int(blank[0]) + 1
        wrong = np.flatnonzero(nonblank & (lengths != RECORD_LENGTH))
        if wrong.size:
            _bad_length(path, line_no + int(wrong[0]) + 1, int(lengths[wrong[0]]))
        keep = np.flatnonzero(nonblank)
        if keep.size:
            rec = _rows(window, starts[keep])
            _check(path, rec, line_no + 1)
            yield line_no + 1, rec
        line_no += len(ends)
        consume(min(int(ends[-1]) + 1, window.size))


def _windows(path: Path):
    """Yield (window, at end of file, consume) over the file's bytes: each
    window starts at the first byte not yet consumed; ``consume(k)`` marks
    its first k bytes done. A plain file is memory-mapped, so a window is a
    view and nothing is copied; a gzip file is decompressed block by block.
    """
    state = {"pos": 0}

    def consume(k: int) -> None:
        state["pos"] += k

    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
        if not gz:
            size = fh.seek(0, 2)
            if size == 0:
                return
            # not closed explicitly: record views handed out may outlive the
            # loop, and the map is released with the last of them
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            data = np.frombuffer(mm, dtype=np.uint8)
    if not gz:
        released = 0
        while state["pos"] < size:
            pos = state["pos"]
            # Pages already read are dropped from this process (the file
            # stays in the page cache): resident memory stays one window,
            # not the whole file. Safe for a read-only file mapping: a page
            # touched again is simply read back.
            done = pos - pos % mmap.PAGESIZE
            if hasattr(mm, "madvise") and done > released:
                mm.madvise(mmap.MADV_DONTNEED, released, done - released)
                released = done
            yield data[pos:pos + _BLOCK], pos + _BLOCK >= size, consume
            if state["pos"] == pos and pos + _BLOCK < size:
                raise InputError(f"{path}: no line break near byte {pos:,}")
        return
    carry = np.zeros(0, dtype=np.uint8)
    with gzip.open(path, "rb") as zf:
        try:
            while True:
                block = zf.read(_BLOCK)
                window = np.concatenate((carry, np.frombuffer(block, dtype=np.uint8)))
                state["pos"] = 0
                yield window, not block, consume
                if not block:
                    return
                carry = window[state["pos"]:].copy()
        except GZIP_ERRORS as exc:
            raise gzip_error(path, exc) from exc


def _uniform(path: Path, window: np.ndarray, first: int):
    """The fast path: ``window`` opens with whole records of one line-ending
    style (a line break exactly where each record ends) and the records hold
    printable ASCII only, so no other line break can hide in them. Returns
    (records, stride, (m, 4048) view) after the checks, or None to take the
    general path, which finds and names any bad line."""
    for stride, cr in ((RECORD_LENGTH + 1, False), (RECORD_LENGTH + 2, True)):
        m = window.size // stride
        if not m:
            continue
        buf = window[: m * stride]
        if not (buf[stride - 1::stride] == 10).all():
            continue
        if cr and not (buf[RECORD_LENGTH::stride] == 13).all():
            continue
        rec = np.lib.stride_tricks.as_strided(
            buf, shape=(m, RECORD_LENGTH), strides=(stride, 1), writeable=False
        )
        if int(rec.min()) < 32 or int(rec.max()) >= 128:
            return None  # a control character or non-ASCII byte: let the general path say
        _check(path, rec, first, ascii_ok=True)
        return m, stride, rec
    return None


def _rows(buf: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The records starting at ``starts`` as an (n, 4048) array: a strided
    view when the lines are evenly spaced (one line-ending style), else a copy."""
    gaps = np.diff(starts)
    if starts.size == 1 or (gaps == gaps[0]).all():
        stride = int(gaps[0]) if starts.size > 1 else RECORD_LENGTH
        return np.lib.stride_tricks.as_strided(
            buf[int(starts[0]):], shape=(starts.size, RECORD_LENGTH), strides=(stride, 1),
            writeable=False,
        )
    return np.stack([buf[a:a + RECORD_LENGTH] for a in starts])


def _bad_length(path: Path, line: int, length: int) -> None:
    if length == 0:
        what = "is blank"
    elif length < RECORD_LENGTH:
        what = f"is {length:,} characters long, ending inside {_field_at(length + 1)}"
    else:
        what = f"is {length:,} characters long, {length - RECORD_LENGTH:,} past the record's end"
    known = _KNOWN_LENGTHS.get(length)
    hint = (f"; {length:,} is the length of {known}, which this reader does not take"
            if known else "")
    raise InputError(
        f"{path}: line {line} {what}; a NAACCR v18 incidence record (type I) is "
        f"{RECORD_LENGTH:,} characters{hint}. The line is truncated or joined to another: "
        "export the file again as NAACCR v18 incidence records"
    )


def _check(path: Path, rec: np.ndarray, first: int, *, ascii_ok: bool = False) -> None:
    high = np.flatnonzero((rec >= 128).any(axis=1)) if not ascii_ok else ()
    if len(high) == 0:
        high = np.array([], dtype=np.int64)
    if high.size:
        i = int(high[0])
        col = int(np.flatnonzero(rec[i] >= 128)[0]) + 1
        raise InputError(
            f"{path}: line {first + i}: byte 0x{int(rec[i, col - 1]):02X} at column {col} "
            f"({_field_at(col)}) is not ASCII; NAACCR fixed-width records are plain ASCII "
            "text (a multi-byte character would shift every later column). Export the file "
            "again as ASCII"
        )
    types = np.flatnonzero(rec[:, 0] != RECORD_TYPE[0])
    if types.size:
        i = int(types[0])
        got = bytes(rec[i, :1]).decode("ascii")
        raise InputError(
            f"{path}: line {first + i}: record type {got!r} (item recordType, column 1); "
            "this reader takes incidence records (type 'I') only and a file must not mix "
            "record types. Export the incidence records alone"
        )
    version = np.ascontiguousarray(rec[:, 16:19]).view("S3").ravel()
    bad = np.flatnonzero(~np.isin(version, np.array(VERSIONS, dtype="S3")))
    if bad.size:
        i = int(bad[0])
        got = bytes(rec[i, 16:19]).decode("ascii")
        raise InputError(
            f"{path}: line {first + i}: NAACCR record version {got!r} (item "
            "naaccrRecordVersion, columns 17-19); the 4,048-character layout is version 18 "
            f"({', '.join(v.decode() for v in VERSIONS)} accepted). Export the file as "
            "NAACCR v18 incidence records, or as NAACCR XML"
        )
