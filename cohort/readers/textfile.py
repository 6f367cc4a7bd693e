"""The bytes of an extract file: compression, integrity, encoding and lines.

Every file is read once, streamed, before its load starts (:func:`scan_file`):
the SHA-256 of its bytes (its identity in ``loads``), and for a gzip file a
full decompression that checks every member's CRC-32 and length. DuckDB's
gzip reader does not check the CRC, so a flipped bit would otherwise load
values that are not in the source, or lose records without a word. For
delimited text the same pass finds the rows DuckDB will see (a quoted
field may span lines) and the blank or whitespace-only ones, so that
record and line numbers in ``rejects`` stay true (see :class:`LineScan`).

Nothing here holds a file in memory: blocks of a few megabytes at most.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import re
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from cohort.errors import InputError
from cohort.text import shorten, shorten_list  # noqa: F401  (re-exported)

GZIP_MAGIC = b"\x1f\x8b"
_BLOCK = 1 << 20
_REGION = 4 << 20  # bytes of text the line scan takes at a time
_LONGEST_LINE = 16 << 20  # a "line" longer than this is not a delimited record
MAX_COLUMNS = 5_000
_OTHER_COMPRESSION = {
    b"\x28\xb5\x2f\xfd": "zstd",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"PK\x03\x04": "zip",
    b"7z\xbc\xaf\x27\x1c": "7-Zip",
}
# Byte-order marks, longest first (UTF-32 LE starts like UTF-16 LE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def compression(head: bytes) -> str | None:
    """``"gzip"``, another compression's name, or None for plain bytes."""
    if head[:2] == GZIP_MAGIC:
        return "gzip"
    for magic, name in _OTHER_COMPRESSION.items():
        if head.startswith(magic):
            return name
    return None


def refuse_other_compression(path: Path, head: bytes) -> None:
    """An InputError for compressed files cohort does not read (all but gzip)."""
    kind = compression(head)
    if kind not in (None, "gzip"):
        raise InputError(
            f"{path}: the file is {kind}-compressed, which cohort does not read; "
            "decompress it (or compress it with gzip) and load again"
        )


def check_file_head(path: Path) -> None:
    """Refuse compressions other than gzip by the file's first bytes."""
    with open(path, "rb") as fh:
        refuse_other_compression(path, fh.read(8))


def gzip_error(path: Path, exc: BaseException | str) -> InputError:
    """The message for a gzip file that fails its checks."""
    detail = str(exc)
    if "incorrect data check" in detail or "CRC" in detail:
        what = "its CRC-32 check fails, so the data are not what was compressed"
    elif "incorrect length check" in detail:
        what = "its length check fails, so data are missing or added"
    elif "ended before" in detail or "truncated" in detail or "end of" in detail:
        what = "it is truncated (the compressed data end early)"
    elif "Not a gzipped file" in detail:
        what = "bytes after the end of the compressed data are not another gzip member"
    else:
        what = f"the compressed data are corrupt ({shorten(detail, 120)})"
    return InputError(
        f"{path}: damaged gzip file: {what}; nothing was loaded. Copy or export the "
        "file again (gzip -t FILE tests it)"
    )


def open_bytes(path: Path) -> IO[bytes]:
    """The file as a byte stream, gunzipped when it starts with the gzip magic.

    Reading a damaged gzip stream raises ``OSError``, ``EOFError`` or
    ``zlib.error``; :data:`GZIP_ERRORS` names them for the callers.
    """
    fh = open(path, "rb")
    if fh.read(2) == GZIP_MAGIC:
        fh.close()
        return gzip.open(path, "rb")
    fh.seek(0)
    return fh


GZIP_ERRORS = (OSError, EOFError, zlib.error)


def read_head(path: Path, size: int = 65536) -> bytes:
    """The first ``size`` bytes of the (decompressed) content."""
    try:
        with open_bytes(path) as fh:
            return fh.read(size)
    except GZIP_ERRORS as exc:
        raise gzip_error(path, exc) from exc


# -- encoding -----------------------------------------------------------------
def utf_encoding(head: bytes) -> str | None:
    """The UTF-16/UTF-32 flavour of a text whose first bytes are ``head``
    (by byte-order mark, or by the NUL pattern of ASCII text), else None."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:4096]
    sample = sample[: len(sample) // 4 * 4]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    zeros = [sample[i::4].count(0) / (len(sample) // 4) for i in range(4)]
    if zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] > 0.9 and zeros[0] < 0.1:
        return "utf-32-le"
    if zeros[0] > 0.9 and zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] < 0.1:
        return "utf-32-be"
    if zeros[1] > 0.9 and zeros[3] > 0.9 and zeros[0] < 0.1 and zeros[2] < 0.1:
        return "utf-16-le"
    if zeros[0] > 0.9 and zeros[2] > 0.9 and zeros[1] < 0.1 and zeros[3] < 0.1:
        return "utf-16-be"
    return None


def transcode_to_utf8(path: Path, encoding: str, target: Path) -> Path:
    """Write the UTF-16/UTF-32 text of ``path`` to ``target`` as UTF-8, streamed.

    Line breaks are kept as they are, so records keep their line numbers.
    Raises InputError naming the line of the first byte sequence that is
    not valid in ``encoding``.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    with open_bytes(path) as src, open(target, "wb") as out:
        try:
            while block := src.read(_BLOCK):
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError as exc:
                    good = decoder.decode(block[: exc.start], final=False) if exc.start else ""
                    raise InputError(
                        f"{path}: line {line + good.count(chr(10))}: bytes that are not valid "
                        f"{encoding.upper()} text; save the file as UTF-8 and load again"
                    ) from None
                line += text.count("\n")
                out.write(text.lstrip("\ufeff").encode("utf-8") if line == 1 or out.tell() == 0
                          else text.encode("utf-8"))
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InputError(
                f"{path}: the file ends inside a {encoding.upper()} character (truncated?); "
                "save the file as UTF-8 and load again"
            ) from None
        except GZIP_ERRORS as exc:
            raise gzip_error(path, exc) from exc
        out.write(tail.encode("utf-8"))
    return target


def normalise_endings(path: Path, target: Path) -> Path:
    """Write the text of ``path`` to ``target`` with every CR LF made LF,
    streamed (line numbers do not change)."""
    pending = b""
    try:
        with open_bytes(path) as src, open(target, "wb") as out:
            while block := src.read(_BLOCK):
                data = pending + block
                pending = b"\r" if data.endswith(b"\r") else b""
                out.write((data[:-1] if pending else data).replace(b"\r\n", b"\n"))
            out.write(pending)
    except GZIP_ERRORS as exc:
        raise gzip_error(path, exc) from exc
    return target


# -- width ---------------------------------------------------------------------
def check_width(path: Path, head: bytes, *, limit: int = MAX_COLUMNS) -> None:
    """Refuse a delimited file whose header has more than ``limit`` fields,
    before DuckDB's sniffer (whose time grows with the square of the width)
    sees it. The count ignores quoting, so it can only over-count, and only
    files far wider than any registry extract are refused.
    """
    first = head.split(b"\n", 1)[0]
    for delim in (b",", b"\t", b";", b"|"):
        n = first.count(delim) + 1
        if n > limit:
            name = {b",": "comma", b"\t": "tab", b";": "semicolon", b"|": "pipe"}[delim]
            more = "" if b"\n" in head else " or more"
            raise InputError(
                f"{path}: the header has {n:,}{more} {name}-separated columns; cohort reads "
                f"at most {limit:,}. Export only the items the analysis needs (a NAACCR "
                "incidence extract has about 800) and load again"
            )


# -- the scan --------------------------------------------------------------------
@dataclass
class Lines:
    """The rows of a delimited text file as DuckDB's CSV reader counts them.

    DuckDB numbers rows from 1 at the top of the file, counting blank lines
    and taking a record whose quoted field spans lines as one row.
    ``blank`` are the rows holding nothing but spaces, tabs and carriage
    returns (``blank_tabs``: those with a tab); ``span_rows`` / ``span_extra``
    the rows that span more than one line and how many lines beyond the
    first. ``complete`` is False when the scan gave up (a line longer than
    16 MB: not a delimited extract).
    """

    rows: int = 0
    blank: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    blank_tabs: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    span_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    span_extra: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    quote: bytes | None = b'"'
    complete: bool = True
    line_breaks: int = 0
    crlf: int = 0

    @property
    def mixed_endings(self) -> bool:
        """Some lines end with CR LF and others with LF alone (DuckDB's
        sniffer gives up on such a file)."""
        return 0 < self.crlf < self.line_breaks

    def leading_blank(self) -> int:
        """How many rows at the top of the file are blank."""
        n = 0
        for r in self.blank:
            if r != n + 1:
                break
            n += 1
        return n


_BLANK_LINE = re.compile(rb"^[ \t\r]*\n", re.MULTILINE)
_BLANK_FIRST = np.zeros(256, dtype=bool)  # bytes a blank line can start with
_BLANK_FIRST[list(b"\n\r \t")] = True


class LineScan:
    r"""Count rows, blank rows and multi-line rows of text fed to it in blocks.

    Quotes follow RFC 4180 (a doubled quote inside a quoted field keeps the
    parity), with ``quote`` as the quote byte (None: no quoting). Work per
    block is a few ``bytes.count``/``in`` scans; numpy looks at quote
    positions only in blocks that hold quotes.

    >>> scan = LineScan()
    >>> scan.feed(b'a,b\n1,2\n\n  \n3,"x\ny"\n4,5')
    >>> lines = scan.finish()
    >>> lines.rows, lines.blank.tolist(), lines.span_rows.tolist(), lines.span_extra.tolist()
    (6, [3, 4], [5], [1])
    """

    def __init__(self, quote: bytes | None = b'"'):
        self.lines = Lines(quote=quote)
        self._q = quote[0] if quote else None
        self._carry = b""  # the unfinished last line
        self._inside = False  # inside a quoted field after the bytes processed
        self._open_extra = 0  # line breaks inside the unfinished row
        self._blank: list[np.ndarray] = []
        self._tabs: list[np.ndarray] = []
        self._spans: list[tuple[np.ndarray, np.ndarray]] = []

    def feed(self, data: bytes) -> None:
        """Take the next bytes of the text."""
        if not self.lines.complete:
            return
        start = 0
        if self._carry:  # finish the carried line alone: no copy of the whole block
            first = data.find(b"\n") + 1
            if first == 0:
                self._carry += data
                self._check_carry()
                return
            head, self._carry = self._carry + data[:first], b""
            self._lines(head, 0, len(head))
            start = first
        cut = data.rfind(b"\n") + 1
        if cut > start:
            self._lines(data, start, cut)
        self._carry = data[max(cut, start):]
        self._check_carry()

    def _check_carry(self) -> None:
        if len(self._carry) > _LONGEST_LINE:
            self.lines.complete = False
            self._carry = b""

    def _lines(self, data: bytes, start: int, cut: int) -> None:
        """The whole lines ``data[start:cut]``, a region at a time."""
        # one numpy view of the lines; regions are slices of it (no copies)
        view = np.frombuffer(data, dtype=np.uint8, count=cut)
        while start < cut:
            end = cut
            if cut - start > _REGION:
                end = data.rfind(b"\n", start, start + _REGION) + 1
                if end <= start:  # one line longer than a region
                    end = data.find(b"\n", start + _REGION) + 1
            self._region(data, view[start:end], start)
            start = end

    def _region(self, data: bytes, a: np.ndarray, offset: int) -> None:
        """The rows of whole lines: ``a`` is the bytes ``data[offset:offset +
        len(a)]``, ending with a line break. One vectorised pass finds the
        breaks; the first byte of each line tells whether any could be blank
        (``bytes`` searches for two-byte hints were most of the scan's time)."""
        base = self.lines.rows  # rows finished before this region
        nl = np.flatnonzero(a == 10)
        self.lines.line_breaks += len(nl)
        # the byte before each break (the region starts after a break or at
        # the top of the file, so a break at 0 has no CR before it)
        self.lines.crlf += int(np.count_nonzero(a[np.maximum(nl - 1, 0)] == 13))
        q = self._q
        if q is None or (not self._inside and data.find(q, offset, offset + len(a)) < 0):
            n = len(nl)
            if self._open_extra:  # a quoted row that began earlier ends at the first break
                self._spans.append((np.array([base + 1]), np.array([self._open_extra])))
                self._open_extra = 0
            self.lines.rows += n
            bounds = None
        else:
            qs = np.flatnonzero(a == q)
            at_bound = ((np.searchsorted(qs, nl) + self._inside) & 1) == 0
            bounds = nl[at_bound]
            self._inside = bool((len(qs) + self._inside) & 1)
            if len(bounds):
                idx = np.flatnonzero(at_bound)  # each bound's place among the breaks
                inner = idx - np.arange(len(idx))  # breaks inside quotes before each bound
                extra = np.diff(inner, prepend=0)
                extra[0] += self._open_extra
                multi = extra > 0
                if multi.any():
                    rows = base + 1 + np.arange(len(bounds))
                    self._spans.append((rows[multi], extra[multi]))
                self._open_extra = int(len(nl) - idx[-1] - 1)
            else:
                self._open_extra += len(nl)
            self.lines.rows += len(bounds)
        firsts = a[np.concatenate(([0], nl[:-1] + 1))] if len(nl) else a[:1]
        if _BLANK_FIRST[firsts].any():
            self._find_blank(data[offset:offset + len(a)], base, nl, bounds)

    def _find_blank(self, region: bytes, base: int, nl: np.ndarray,
                    bounds: np.ndarray | None) -> None:
        """Blank rows among the region's lines (``nl``: its line breaks): a
        whitespace-only line whose break ends a row (it holds no quote, so it
        also starts one)."""
        found = [(m.start(), m.end() - 1) for m in _BLANK_LINE.finditer(region)]
        if not found:
            return
        ends = np.array([e for _, e in found], dtype=np.int64)
        if bounds is None:  # every line break in the region ends a row
            rows = base + 1 + np.searchsorted(nl, ends)
            keep = np.ones(len(ends), bool)
        elif not len(bounds):  # no row ends here: every line is inside quotes
            return
        else:
            pos = np.searchsorted(bounds, ends)
            keep = (pos < len(bounds)) & (bounds[np.minimum(pos, len(bounds) - 1)] == ends)
            rows = base + 1 + pos
        if not keep.any():
            return
        self._blank.append(rows[keep])
        self._tabs.append(np.array([b"\t" in region[s:e] for (s, e), k in zip(found, keep,
                                                                                 strict=True)
                                    if k], dtype=bool))

    def finish(self) -> Lines:
        """The rows found (the last line may lack its line break)."""
        lines = self.lines
        if lines.complete and self._carry:
            base = lines.rows
            lines.rows += 1
            if self._open_extra:
                self._spans.append((np.array([base + 1]), np.array([self._open_extra])))
            elif not self._inside and self._carry.strip(b" \t\r") == b"":
                self._blank.append(np.array([base + 1]))
                self._tabs.append(np.array([b"\t" in self._carry]))
        self._carry = b""
        if self._blank:
            lines.blank = np.concatenate(self._blank).astype(np.int64)
            lines.blank_tabs = np.concatenate(self._tabs).astype(bool)
        if self._spans:
            lines.span_rows = np.concatenate([s[0] for s in self._spans]).astype(np.int64)
            lines.span_extra = np.concatenate([s[1] for s in self._spans]).astype(np.int64)
        return lines


@dataclass
class FileScan:
    """What one streamed pass over a file found."""

    sha256: str
    size: int
    compression: str | None
    lines: Lines | None = None


def scan_file(path: Path, *, lines: bool = False, quote: bytes | None = b'"') -> FileScan:
    """Hash the file, verify gzip data whole, and (``lines``) scan its rows.

    Raises InputError for a damaged or truncated gzip file (every member's
    CRC-32 and length are checked, as ``gzip -t`` does) and for trailing
    bytes that are neither another gzip member nor zero padding.
    """
    scan = LineScan(quote) if lines else None
    size = 0
    with _BackgroundDigest() as digest, open(path, "rb") as fh:
        head = fh.read(_BLOCK)
        kind = compression(head)
        blocks = _blocks(fh, head)
        if kind == "gzip":
            for plain in _gunzip(path, blocks, digest):
                if scan is not None:
                    scan.feed(plain)
        else:
            for block in blocks:
                digest.update(block)
                if scan is not None:
                    scan.feed(block)
        size = fh.tell()
        sha = digest.hexdigest()
    return FileScan(sha, size, kind, scan.finish() if scan is not None else None)


class _BackgroundDigest:
    """SHA-256 computed on a second thread while this one scans the lines
    (hashlib releases the GIL on large buffers); one block at most waits."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="cohort-sha256")
        self._pending: Future | None = None

    def update(self, block: bytes) -> None:
        if self._pending is not None:
            self._pending.result()
        self._pending = self._pool.submit(self._digest.update, block)

    def hexdigest(self) -> str:
        if self._pending is not None:
            self._pending.result()
            self._pending = None
        return self._digest.hexdigest()

    def __enter__(self) -> _BackgroundDigest:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True)


def scan_lines(path: Path, *, quote: bytes | None) -> Lines:
    """Only the line scan (a second pass, for a file quoted unusually)."""
    scan = LineScan(quote)
    try:
        with open_bytes(path) as fh:
            while block := fh.read(_BLOCK):
                scan.feed(block)
    except GZIP_ERRORS as exc:
        raise gzip_error(path, exc) from exc
    return scan.finish()


def _blocks(fh: IO[bytes], head: bytes) -> Iterator[bytes]:
    if head:
        yield head
    while block := fh.read(_BLOCK):
        yield block


def _gunzip(path: Path, blocks: Iterator[bytes], digest) -> Iterator[bytes]:
    """Decompress gzip members one after another, checking each one's trailer.

    zlib with ``wbits=31`` verifies the CRC-32 and length in each member's
    trailer. Output comes in pieces of at most 1 MB (``max_length``), so a
    highly compressed block cannot blow up memory. Nothing may follow the
    last member, not even the zero padding ``gzip -d`` tolerates: DuckDB's
    reader stops there with an error.
    """
    d = zlib.decompressobj(31)
    in_member, between = True, b""
    for block in blocks:
        digest.update(block)
        data = block
        while data:
            if not in_member:
                data, between = between + data, b""
                if len(data) < 2:
                    between = data
                    break
                if data[:2] != GZIP_MAGIC:
                    raise _trailing(path)
                d, in_member = zlib.decompressobj(31), True
            try:
                out = d.decompress(data, _BLOCK)
                while True:
                    if out:
                        yield out
                    if d.eof or (not d.unconsumed_tail and len(out) < _BLOCK):
                        break
                    out = d.decompress(d.unconsumed_tail, _BLOCK)
            except zlib.error as exc:
                raise gzip_error(path, exc) from exc
            if d.eof:
                in_member, data = False, d.unused_data
            else:
                data = b""
    if between:
        raise _trailing(path)
    if in_member:
        raise gzip_error(path, "ended before the end of the compressed data (truncated)")


def _trailing(path: Path) -> InputError:
    return InputError(
        f"{path}: damaged gzip file: bytes after the end of the compressed data are not "
        "another gzip member (padding or garbage); nothing was loaded. Copy or export the "
        "file again, or decompress it and load the plain file"
    )
