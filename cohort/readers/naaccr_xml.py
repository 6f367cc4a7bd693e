"""NAACCR XML extracts (``.xml`` or ``.xml.gz``), any dictionary version.

A NAACCR XML file is a ``NaaccrData`` root in the namespace
``http://naaccr.org/naaccrxml`` holding ``Item`` elements and ``Patient``
elements; a Patient holds its own Items and then its ``Tumor`` elements.
Each Tumor becomes one record carrying its Patient's items (vital status,
date of last contact, ...) and the file-level ones, as the NAACCR
fixed-width record does.

The file is read twice, both times as a stream: a quick byte scan for the
``naaccrId`` values it uses (so the loader can refuse direct identifiers,
drop quasi-identifiers and name missing items before anything is written),
then an expat parse that yields Arrow record batches. Expat's callbacks see
the current line, so a structural error names the line and the item.
Patients in the standard layout skip expat: a regular expression reads
them whole and expat is fed their newlines instead (see tumour_batches).
Only the items of the alias table (matched by ``naaccrId`` exactly) and any
asked for with ``keep_items`` become columns; the rest are counted.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.parsers import expat

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from cohort.errors import InputError
from cohort.items import identifier, items
from cohort.readers.base import BATCH_ROWS, Source, arrow_stream_source
from cohort.readers.textfile import GZIP_ERRORS, gzip_error, open_bytes, shorten

NAMESPACE = "http://naaccr.org/naaccrxml"
_SEP = " "  # expat joins namespace and local name with this
_ROOT, _PATIENT, _TUMOR, _ITEM = (f"{NAMESPACE}{_SEP}{t}" for t in
                                  ("NaaccrData", "Patient", "Tumor", "Item"))
_CHUNK = 1 << 20
_ID_PATTERN = re.compile(rb"""naaccrId\s*=\s*["']([^"'<>]*)["']""")
_ID_FAST = re.compile(rb'naaccrId="([^"]*)"')  # the form every NAACCR writer uses

# The fast path (see tumour_batches). The text is the bytes decoded as
# latin-1 (one character per byte, so offsets are byte offsets); a block
# qualifies only if it is plain ASCII in the layout every NAACCR writer
# uses: a <Patient> with no attributes holding <Item naaccrId="...">
# elements and then <Tumor> elements with no attributes holding Items,
# whitespace (no carriage returns) between tags, values of printable ASCII,
# tab or newline with no '>' (so no ']]>') and no entity other than the 5
# predefined ones. Anything else (comments, CDATA, character references,
# attributes, self-closing tags, other elements) goes to expat.
_VAL = r"[^<>&\x00-\x08\x0b-\x1f\x7f-\xff]*"  # latin-1 text: nothing above \xff
_VAL = rf"{_VAL}(?:&(?:amp|lt|gt|quot|apos);{_VAL})*"
_WS = r"[ \t\n]*"
_ITEMS = rf'(?:{_WS}<Item naaccrId="[\w.\-]+">{_VAL}</Item>)*'
_FAST_PATIENT = re.compile(
    rf"[ \t]*<Patient>({_ITEMS})((?:{_WS}<Tumor>{_ITEMS}{_WS}</Tumor>)+){_WS}</Patient>[ \t]*\n"
)
# within a block that matched _FAST_PATIENT, this finds exactly its Items
_FAST_ITEM = re.compile(r'naaccrId="([^"]*)">([^<]*)<')
_PATIENT_AT = re.compile(r"[ \t]*<Patient>")
_PATIENT_LINE = re.compile(r"\n[ \t]*<Patient>")  # a literal first: a quick search
_AFTER_PATIENT = re.compile(r"</[^>]*>[ \t\r\n]*\Z")  # a Patient's end tag, then whitespace
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))
_GIVE_UP = 64  # Patients in a row not in the standard layout: leave the rest to expat
_CARRY_MAX = 2 * _CHUNK  # bytes held back waiting for the rest of a Patient, at most


def scan_item_ids(path: Path) -> list[str]:
    """Every ``naaccrId`` the file uses, in order of first appearance.

    A byte-level scan, several times faster than parsing: its only job is to
    let the loader judge the columns (identifiers, required items) before
    the transaction starts. Each chunk is scanned together with the tail of
    the previous one from its last ``<``, so an attribute split between two
    chunks is still seen whole.
    """
    seen: dict[str, None] = {}
    tail = b""
    with open_bytes(path) as fh:
        try:
            while block := fh.read(8 * _CHUNK):
                data = tail + block
                # a literal prefix lets the regex engine skip ahead fast; the
                # general pattern (spaces, single quotes) only when counts differ
                fast = data.count(b'naaccrId="') == data.count(b"naaccrId")
                for raw in set((_ID_FAST if fast else _ID_PATTERN).findall(data)):
                    seen.setdefault(raw.decode("utf-8", "replace"), None)
                cut = data.rfind(b"<")
                tail = data[cut:] if cut >= 0 and len(data) - cut < 4096 else b""
        except GZIP_ERRORS as exc:
            raise gzip_error(path, exc) from exc
    return list(seen)


def plan_columns(
    ids: Iterable[str], keep_items: Iterable[str] = ()
) -> tuple[list[str], list[str], list[str]]:
    """Split a file's item ids: (read as columns, identifiers, not used).

    Alias-table items are matched on the exact ``naaccrId``: folding case and
    punctuation as header matching does would take ``summaryStage2018``
    (item 764) for ``derivedSummaryStage2018`` (762).
    """
    known = {it.naaccr_id for it in items() if it.naaccr_id}
    keep = set(keep_items)
    read, idents, unused = [], [], []
    for nid in ids:
        ident = identifier(nid)
        if ident is not None and not (ident.kind == "free-text" and nid in keep):
            idents.append(nid)
        elif nid in known or nid in keep:
            read.append(nid)
        else:
            unused.append(nid)
    return read, idents, sorted(unused)


def naaccr_xml_source(
    con: duckdb.DuckDBPyConnection, path: Path, *, keep_items: Iterable[str] = ()
) -> Source:
    """The :class:`Source` for a NAACCR XML file; one record per Tumor."""
    _check_declared_encoding(path)
    read, idents, unused = plan_columns(scan_item_ids(path), keep_items)
    return arrow_stream_source(
        con,
        "naaccr-xml",
        read + idents,
        lambda: tumour_batches(path, read),
        relation_columns=read,
        unused_items=unused,
    )


def _check_declared_encoding(path: Path) -> None:
    """Refuse, before anything is read, an XML declaration naming an encoding
    expat cannot use (unknown, or multi-byte other than UTF-8/16)."""
    with open_bytes(path) as fh:
        try:
            head = fh.read(4096)
        except GZIP_ERRORS as exc:
            raise gzip_error(path, exc) from exc
    end = head.find(b"?>")
    if not head.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml") or end < 0:
        return
    parser = expat.ParserCreate()
    try:
        parser.Parse(head[:end + 2], False)
    except (LookupError, ValueError) as exc:
        raise InputError(
            f"{path}: line 1: the XML declaration names an encoding cohort cannot read "
            f"({shorten(str(exc), 80)}); NAACCR XML is UTF-8: save the file as UTF-8 (and say "
            "so in its first line) and load again"
        ) from None
    except expat.ExpatError:
        pass  # the parse proper names the problem, with its line


def tumour_batches(path: Path, wanted: list[str], *, rows_per_batch: int = BATCH_ROWS
                   ) -> Iterator[pa.RecordBatch]:
    """Parse the file and yield one row per Tumor with the ``wanted`` items.

    Raises :class:`InputError` (file, line, item) on anything that is not
    well-formed NAACCR XML: malformed markup, a root outside the NAACCR
    namespace, a Tumor outside a Patient, an Item with no ``naaccrId``, an
    item twice in one element, Items after the Patients or Tumors they
    belong before. Elements of other namespaces (extensions) are skipped.
    """
    index = {nid: i for i, nid in enumerate(wanted)}
    width = len(wanted)
    parser = expat.ParserCreate(namespace_separator=_SEP)
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.ordered_attributes = True

    rows: list[list] = []
    # Parse state lives in closure cells: expat calls these handlers once per
    # element, and cell access is the cheapest Python offers.
    level = 0  # 0 before the root, 1 NaaccrData, 2 Patient, 3 Tumor, 4 after the root
    in_item = False
    extension = 0  # depth inside elements of other namespaces
    item_id = ""
    item_text: str | None = None
    root_vals: list = [None] * width
    pat_vals: list = root_vals
    tum_vals: list = root_vals
    target: list = root_vals
    seen: set[str] = set()
    root_seen: set[str] = set()
    pat_seen: set[str] = set()
    patients = tumours = 0
    patient_has_tumour = False
    last_item = ""
    # for the fast path: where expat saw the last </Patient> (byte index in
    # what it was fed), the root's default namespace, and whether a DOCTYPE
    # (which could declare entities or default attributes) rules it out
    patient_end = -1
    root_ns: str | None = None
    doctype = False
    ascii_safe = True  # the declared encoding reads ASCII bytes as ASCII

    def fail(what: str, fix: str) -> None:
        # item ids come from the file: a hostile one must not make a page of message
        raise InputError(f"{path}: line {parser.CurrentLineNumber}: {shorten(what, 300)}; {fix}")

    def start(name: str, attrs: list) -> None:
        nonlocal level, in_item, extension, item_id, item_text, pat_vals, tum_vals, target
        nonlocal seen, root_seen, pat_seen, patients, patient_has_tumour, last_item
        # The Item branch runs ~30 times per tumour: it comes first and does
        # the least it can; every rarer case is checked only when it occurs.
        if name == _ITEM and not in_item and not extension and 0 < level < 4:
            if attrs and attrs[0] == "naaccrId":
                nid = attrs[1]
            else:
                nid = next((attrs[i + 1] for i in range(0, len(attrs), 2)
                            if attrs[i] == "naaccrId"), None)
            if not nid:
                fail(f"Item with no naaccrId (after item {last_item!r})" if last_item
                     else "Item with no naaccrId",
                     "every Item needs naaccrId=\"...\"; correct the file or export it again")
            if nid in seen:
                where = ("NaaccrData", "Patient", "Tumor")[level - 1]
                fail(f"item {nid!r} appears twice in one {where}",
                     "keep one of them and load again")
            seen.add(nid)
            if level != 3:
                if level == 2 and patient_has_tumour:
                    fail(f"Patient item {nid!r} after the Patient's first Tumor",
                         "NAACCR XML puts a Patient's Items before its Tumors")
                if level == 1 and patients:
                    fail(f"NaaccrData item {nid!r} after the first Patient",
                         "NAACCR XML puts file-level Items before the Patients")
            item_id = last_item = nid
            in_item = True
            item_text = None
            return
        if extension:
            extension += 1
            return
        if in_item:
            fail(f"element <{_local(name)}> inside Item {item_id!r}",
                 "an Item holds only its value")
        if name == _ITEM:
            fail("Item outside NaaccrData", "the file is not NAACCR XML")
        elif name == _TUMOR:
            if level != 2:
                after = f" (after item {last_item!r})" if last_item else ""
                fail("Tumor outside a Patient" + after,
                     "every Tumor must sit inside the Patient it belongs to")
            level = 3
            patient_has_tumour = True
            tum_vals = pat_vals.copy()
            target = tum_vals
            seen = set()
        elif name == _PATIENT:
            if level != 1:
                fail("Patient outside NaaccrData" if level != 2 else "Patient inside a Patient",
                     "Patients sit directly inside NaaccrData")
            level = 2
            patients += 1
            patient_has_tumour = False
            pat_vals = root_vals.copy()
            target = pat_vals
            pat_seen = seen = set()
        elif name == _ROOT:
            if level != 0:
                fail("NaaccrData inside NaaccrData", "a file holds one NaaccrData")
            level = 1
            root_seen = seen = set()
        elif level == 0:
            local = _local(name)
            if local == "NaaccrData":
                ns = name.rsplit(_SEP, 1)[0] if _SEP in name else None
                fail(f"NaaccrData is in namespace {ns!r}, not {NAMESPACE!r}" if ns
                     else "NaaccrData has no namespace",
                     f'the root must be <NaaccrData xmlns="{NAMESPACE}">; correct the file '
                     "or export it again")
            fail(f"root element <{local}> is not NaaccrData", "this is not a NAACCR XML file")
        elif name.startswith(NAMESPACE + _SEP):
            fail(f"unexpected element <{_local(name)}>",
                 "NAACCR XML has only NaaccrData, Patient, Tumor and Item")
        else:
            extension = 1  # an extension: another namespace, ignored with its content

    def end(name: str) -> None:
        nonlocal level, in_item, extension, target, seen, tumours, patient_end
        if name == _ITEM and not extension:
            in_item = False
            j = index.get(item_id)
            if j is not None:
                target[j] = item_text or None
        elif extension:
            extension -= 1
        elif name == _TUMOR:
            rows.append(tum_vals)
            tumours += 1
            level = 2
            target = pat_vals
            seen = pat_seen
        elif name == _PATIENT:
            level = 1
            target = root_vals
            seen = root_seen
            patient_end = parser.CurrentByteIndex
        elif name == _ROOT:
            level = 4

    def characters(data: str) -> None:
        nonlocal item_text
        # expat may split one value (buffer boundary, entity): join the pieces
        if in_item:
            item_text = data if item_text is None else item_text + data

    def namespace(prefix: str | None, uri: str) -> None:
        nonlocal root_ns
        if level == 0 and prefix is None:
            root_ns = uri

    def doctype_decl(*_args) -> None:
        nonlocal doctype
        doctype = True

    def xml_decl(_version: str | None, encoding: str | None, _standalone: int) -> None:
        nonlocal ascii_safe
        if encoding is not None:
            try:
                ascii_safe = codecs.lookup(encoding).name in ("utf-8", "ascii", "iso8859-1")
            except LookupError:
                ascii_safe = False

    parser.StartElementHandler = start
    parser.CharacterDataHandler = characters
    parser.EndElementHandler = end
    parser.StartNamespaceDeclHandler = namespace
    parser.StartDoctypeDeclHandler = doctype_decl
    parser.XmlDeclHandler = xml_decl

    def parse(data: bytes, final: bool) -> None:
        try:
            parser.Parse(data, final)
        except (LookupError, ValueError) as exc:
            # the prolog names an encoding expat cannot use (unknown, multi-byte)
            raise InputError(
                f"{path}: line {parser.CurrentLineNumber}: the XML declaration names an encoding "
                f"cohort cannot read ({shorten(str(exc), 80)}); NAACCR XML is UTF-8: save the "
                "file as UTF-8 (and say so in its first line) and load again"
            ) from None
        except expat.ExpatError as exc:
            message = expat.errors.messages[exc.code]
            near = f" after item {shorten(last_item, 80)!r}" if last_item else ""
            if final and level in (1, 2, 3):
                open_ = ("NaaccrData", "Patient", "Tumor")[level - 1]
                what = f"the file ends inside <{open_}> (unclosed tag){near}"
            else:
                what = f"column {exc.offset + 1}: not well-formed XML ({message}){near}"
            hint = (" (a byte that is not valid in the declared encoding? NAACCR XML is "
                    "UTF-8 unless its prolog says otherwise)"
                    if exc.code == expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN]
                    else "")
            raise InputError(
                f"{path}: line {exc.lineno}: {what}{hint}; the file is damaged or "
                "truncated, export it again"
            ) from None

    # Fast path. Most of the time goes into expat's callbacks, ~50 per
    # tumour; a Patient element in the standard layout (_FAST_PATIENT) is
    # instead matched whole by one regular expression and its Items read
    # with another. It is taken only where expat, fed everything before it,
    # stands between two Patients: level 1 right after a </Patient> and
    # whitespace (so not inside a comment, CDATA, tag or extension), with
    # the NAACCR namespace as the root's default, no DOCTYPE and an encoding
    # that reads ASCII as ASCII (UTF-8, ASCII, ISO-8859-1). Expat is
    # then fed the block's newlines instead of the block, so it still sees
    # a well-formed file and every later error names the same line and
    # column (a block ends with a newline) and, via last_item, the same
    # item. Whatever does not match goes to expat as before.
    root_map: dict[str, str] | None = None
    fed = 0  # bytes fed to expat
    newlines = 0  # newlines of fast blocks not yet fed to expat

    def feed(data: bytes, check: bool = True) -> bool:
        """Feed expat; True if it now stands where a fast block may start."""
        nonlocal fed, newlines
        if newlines:
            parse(b"\n" * newlines, False)
            fed += newlines
            newlines = 0
        base = fed
        parse(data, False)
        fed += len(data)
        return (check and base <= patient_end and level == 1 and not extension and not in_item
                and not doctype and ascii_safe and root_ns == NAMESPACE
                and _AFTER_PATIENT.match(data.decode("latin-1"), patient_end - base)
                is not None)

    def fast(m: re.Match) -> bool:
        """Rows for one matched Patient block; False (nothing done) if an
        item repeats within the Patient or a Tumor: expat reports that."""
        nonlocal root_map, patients, tumours, last_item
        if root_map is None:
            root_map = {wanted[j]: v for j, v in enumerate(root_vals) if v is not None}
        block = m.group(0)
        entities = "&" in block
        found = _FAST_ITEM.findall(m.group(1))
        if entities:
            found = [(k, _unescape(v)) for k, v in found]
        pat = dict(found)
        if len(pat) != len(found):
            return False
        last = found[-1][0] if found else last_item
        if root_map:
            pat = {**root_map, **pat}
        new = []
        for tumour in m.group(2).split("</Tumor>")[:-1]:
            found = _FAST_ITEM.findall(tumour)
            if entities:
                found = [(k, _unescape(v)) for k, v in found]
            tum = dict(found)
            if len(tum) != len(found):
                return False
            if found:
                last = found[-1][0]
            merged = {**pat, **tum}
            new.append(list(map(merged.get, wanted)))
        rows.extend(new)
        patients += 1
        tumours += len(new)
        last_item = last
        return True

    with open_bytes(path) as fh:
        try:
            buf = b""
            clean = False  # expat stands where a fast block may start
            misses = 0  # fast attempts failed in a row
            eof = False
            while not eof:
                block = fh.read(_CHUNK)
                eof = not block
                buf += block
                if misses >= _GIVE_UP:  # not the standard layout: expat alone
                    feed(buf, check=False)
                    buf = b""
                    continue
                text = buf.decode("latin-1")
                pos = 0
                end = len(buf)
                while pos < end:
                    if clean and _PATIENT_AT.match(text, pos):
                        m = _FAST_PATIENT.match(text, pos)
                        if m and fast(m):
                            newlines += m.group(0).count("\n")
                            pos = m.end()
                            misses = 0
                            continue
                        if not eof and not m:
                            close = text.find("</Patient>", pos)
                            if (close < 0 or text.find("\n", close) < 0) and (
                                    end - pos < _CARRY_MAX):
                                break  # the block may be cut: wait for the rest
                        misses += 1
                    nxt = _PATIENT_LINE.search(text, pos)
                    stop = nxt.start() + 1 if nxt is not None else end
                    clean = feed(buf[pos:stop])
                    pos = stop
                buf = buf[pos:]
                if len(rows) >= rows_per_batch:
                    yield _batch(wanted, rows, width)
                    rows.clear()
        except GZIP_ERRORS as exc:
            raise gzip_error(path, exc) from exc
        if newlines:
            parse(b"\n" * newlines, False)
        parse(b"", True)
    if not tumours:
        raise InputError(
            f"{path}: no Tumor elements ({patients} Patient(s)); the file holds no "
            "tumour records, export the extract again"
        )
    if rows:
        yield _batch(wanted, rows, width)


def _batch(wanted: list[str], rows: list[list], width: int) -> pa.RecordBatch:
    """The rows as a record batch; a blank value ('' from the fast path) is null."""
    arrays = []
    for column in _columns(rows, width):
        array = pa.array(column, type=pa.string())
        blank = pc.equal(array, "")
        if pc.any(blank).as_py():
            array = pc.if_else(blank, pa.scalar(None, pa.string()), array)
        arrays.append(array)
    return pa.record_batch(arrays, names=wanted)


def _unescape(value: str) -> str:
    for entity, char in _ENTITIES:
        value = value.replace(entity, char)
    return value


def _columns(rows: list[list], width: int) -> list:
    return list(zip(*rows, strict=True)) if rows else [[] for _ in range(width)]


def _local(name: str) -> str:
    return name.rsplit(_SEP, 1)[-1]
