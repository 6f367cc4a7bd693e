"""Damaged and hostile extracts, and the invariants every load must keep.

Shared by ``tests/test_fuzz.py`` (a bounded run in CI) and
``benchmarks/stress.py`` (10,000 extracts and more). A base extract of each
format is damaged at random (bits flipped, bytes inserted or cut, lines
duplicated, blank lines, stray quotes and delimiters, mixed line endings,
identifier headers, UTF-16, truncation, gzip damage) and loaded; the load
must end in a CohortError with a one-line message and the registry
unchanged, or account for every record it read.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import cohort
from cohort.errors import CohortError

FIXTURES = Path(__file__).parent / "fixtures" / "naaccr"
KINDS = ("csv", "csv.gz", "parquet", "xml", "xml.gz", "flat", "flat.gz")
_NOISE = [b"\x00", b'"', b",", b";", b"\t", b"\n", b"\r\n", b"\r", b"\xff\xfe", b"\xe9",
          b"\xc3\xa9", b"\xe2\x80\x8b", b"  ", b"\n\n", b"\n   \n", b"<", b">", b"&", b"'",
          b"<Tumor>", b"</Patient>", b"99", b"-1", b"\\"]
_IDENTIFIERS = ["Patient Last Name", "ssn", "DOB (YYYYMMDD)", "notes", "home_address"]


def bases(folder: Path) -> dict[str, bytes]:
    """One small extract of each kind, as bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    csv = cohort.synth.write(folder / "base.csv", n=60, seed=7)
    out["csv"] = csv.read_bytes()
    out["csv.gz"] = gzip.compress(out["csv"], mtime=0)
    pq = cohort.synth.write(folder / "base.parquet", n=60, seed=7)
    out["parquet"] = pq.read_bytes()
    xml = cohort.synth.write(folder / "base.xml", n=30, seed=7, format="naaccr-xml")
    out["xml"] = xml.read_bytes()
    out["xml.gz"] = gzip.compress(out["xml"], mtime=0)
    out["flat"] = (FIXTURES / "synthetic-data_naaccr-180-incidence_10-records.txt").read_bytes()
    out["flat.gz"] = gzip.compress(out["flat"], mtime=0)
    return out


def _text_ops(data: bytes, rng: random.Random) -> bytes:
    """One damage to text: the ways extracts break in transit and by hand."""
    op = rng.randrange(12)
    n = len(data)
    if n == 0:
        return data
    i = rng.randrange(n)
    if op == 0:  # flip a bit
        b = bytearray(data)
        b[i] ^= 1 << rng.randrange(8)
        return bytes(b)
    if op == 1:  # insert noise
        return data[:i] + rng.choice(_NOISE) * rng.randint(1, 3) + data[i:]
    if op == 2:  # cut a span
        return data[:i] + data[i + rng.randint(1, 200):]
    if op == 3:  # truncate
        return data[:i]
    lines = data.split(b"\n")
    j = rng.randrange(len(lines))
    if op == 4:  # duplicate a line
        lines.insert(j, lines[j])
    elif op == 5:  # blank or whitespace lines
        lines.insert(j, rng.choice([b"", b" ", b"\t ", b"   \r"]))
    elif op == 6:  # mixed line endings
        lines = [ln + b"\r" if rng.random() < 0.3 and not ln.endswith(b"\r") else ln
                 for ln in lines]
    elif op == 7:  # a stray quote or delimiter inside a line
        ln = lines[j]
        k = rng.randrange(len(ln) + 1)
        lines[j] = ln[:k] + rng.choice([b'"', b",", b'""', b'"x"y', b";"]) + ln[k:]
    elif op == 8:  # an identifier column in the header
        lines[0] = lines[0] + b"," + rng.choice(_IDENTIFIERS).encode()
    elif op == 9:  # swap two lines
        k = rng.randrange(len(lines))
        lines[j], lines[k] = lines[k], lines[j]
    elif op == 10:  # a very long line
        lines.insert(j, b"x" * rng.randint(1_000, 200_000))
    else:  # drop a line
        if len(lines) > 1:
            del lines[j]
    return b"\n".join(lines)


def mutate(kind: str, base: bytes, rng: random.Random) -> bytes:
    """A damaged copy of ``base`` (an extract of ``kind``)."""
    if kind.endswith(".gz"):
        if rng.random() < 0.5:  # damage the compressed bytes
            return _text_ops(base, rng) if rng.random() < 0.7 else base[: rng.randrange(len(base))]
        plain = gzip.decompress(base)
        for _ in range(rng.randint(1, 3)):
            plain = _text_ops(plain, rng)
        return gzip.compress(plain, mtime=0)
    data = base
    for _ in range(rng.randint(1, 3)):
        data = _text_ops(data, rng)
    if kind == "csv" and rng.random() < 0.05:
        data = data.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-32"]))
    return data


@dataclass
class Outcome:
    """What one load did: refused (with its message) or read = loaded + rejected."""

    refused: str | None = None
    read: int = 0
    loaded: int = 0
    rejected: int = 0


class InvariantError(AssertionError):
    """A load broke an invariant (the message says which)."""


def check_load(path: Path, db: Path, *, count=None, fresh: bool = False) -> Outcome:
    """Load ``path`` into the registry ``db`` and check the invariants.

    ``count(db, load_id)`` returns (records in raw_cases, distinct record
    numbers in rejects, lowest and highest record number) for the load;
    by default through the Python SQL door. ``fresh``: ``db`` is a new,
    empty registry (not read before the load). Raises InvariantError, or
    lets any exception that is not a CohortError through (a traceback in
    the CLI).
    """
    reg = cohort.Registry(db)
    before = (0, 0, 0, 0) if fresh else _loads(reg)
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cohort.errors.CohortWarning)
            (result,) = reg.load(path)
    except CohortError as exc:
        msg = str(exc)
        if "Traceback" in msg or "\n" in msg.strip() or len(msg) > 6000:
            raise InvariantError(f"message not one short line: {msg[:500]!r}") from exc
        if _loads(reg) != before:
            raise InvariantError(f"refused but the registry changed: {msg[:200]}") from exc
        return Outcome(refused=msg)
    if result.rows_read != result.rows_loaded + result.rows_rejected:
        raise InvariantError(f"read {result.rows_read} != loaded + rejected")
    raw, rej, distinct, lo, hi = (count or _count)(db, result.load_id)
    if (raw, rej) != (result.rows_loaded, result.rows_rejected):
        raise InvariantError(f"database has {raw} + {rej}, load said {result.rows_loaded} + "
                             f"{result.rows_rejected}")
    if result.rows_read and (distinct, lo, hi) != (result.rows_read, 1, result.rows_read):
        raise InvariantError(f"record numbers {lo}-{hi} ({distinct} distinct) for "
                             f"{result.rows_read} records")
    return Outcome(read=result.rows_read, loaded=result.rows_loaded, rejected=result.rows_rejected)


COUNT_SQL = (
    "with n as (select record_no from raw_cases where load_id = $id union "
    "select record_no from rejects where load_id = $id) "
    "select (select count(*) from raw_cases where load_id = $id) as loaded, "
    "(select count(distinct record_no) from rejects where load_id = $id) as rejected, "
    "(select count(*) from n) as numbers, (select min(record_no) from n) as first, "
    "(select max(record_no) from n) as last"
)


def _count(db: Path, load_id: int) -> tuple[int, int, int, int, int]:
    return cohort.Registry(db).sql(COUNT_SQL, {"id": load_id}).row(0)


def _loads(reg: cohort.Registry) -> tuple:
    if not reg.path.exists():
        return ()
    return reg.sql("select (select count(*) from loads), (select coalesce(max(load_id), 0) "
                   "from loads), (select count(*) from raw_cases), "
                   "(select count(*) from rejects)").row(0)


def empty_registry(template: Path, target: Path) -> Path:
    """A fresh registry file (a copy of an empty one: quicker than creating)."""
    if not template.exists():  # written aside, then renamed: other processes see it whole
        partial = template.with_name(f"{template.name}.{os.getpid()}.tmp")
        with cohort.Registry(partial)._write():
            pass
        os.replace(partial, template)
    shutil.copy(template, target)
    return target
