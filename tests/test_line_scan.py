"""The streamed line scan (cohort.readers.textfile.LineScan) against a plain
line-by-line reading of the same text, however the text is cut into blocks
and regions."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.readers import textfile


def reference(text: bytes, quote: bytes | None = b'"') -> dict:
    """Rows as DuckDB counts them, read one line at a time: a row ends at a
    line break outside quotes; a row of one whitespace-only line is blank."""
    rows, blank, tabs, spans = 0, [], [], []
    inside, extra = False, 0
    pieces = text.split(b"\n")
    for i, line in enumerate(pieces):
        last = i == len(pieces) - 1
        if last and line == b"":
            break
        starts_row = not inside and extra == 0
        if quote is not None and line.count(quote) % 2:
            inside = not inside
        if last or not inside:  # the row ends here (or the text does)
            rows += 1
            if extra:
                spans.append((rows, extra))
            elif starts_row and not inside and line.strip(b" \t\r") == b"":
                blank.append(rows)
                tabs.append(b"\t" in line)
            extra = 0
        else:
            extra += 1
    return {
        "rows": rows,
        "blank": blank,
        "blank_tabs": tabs,
        "spans": spans,
        "line_breaks": text.count(b"\n"),
        "crlf": text.count(b"\r\n"),
    }


def scanned(text: bytes, cuts: list[int], quote: bytes | None = b'"') -> dict:
    scan = textfile.LineScan(quote)
    start = 0
    for cut in sorted(set(cuts)) + [len(text)]:
        if cut > start:
            scan.feed(text[start:cut])
            start = cut
    lines = scan.finish()
    return {
        "rows": lines.rows,
        "blank": lines.blank.tolist(),
        "blank_tabs": lines.blank_tabs.tolist(),
        "spans": list(zip(lines.span_rows.tolist(), lines.span_extra.tolist(), strict=True)),
        "line_breaks": lines.line_breaks,
        "crlf": lines.crlf,
    }


texts = st.lists(st.sampled_from([b"a", b",", b'"', b" ", b"\t", b"\r", b"\n", b"\r\n",
                                  b"12"]), max_size=80).map(b"".join)


@settings(max_examples=300)
@given(text=texts, cuts=st.lists(st.integers(0, 90), max_size=6), region=st.integers(1, 12),
       quoted=st.booleans())
def test_line_scan_matches_a_line_by_line_reading(text, cuts, region, quoted):
    quote = b'"' if quoted else None
    saved = textfile._REGION
    textfile._REGION = region  # regions of a few bytes: every split is exercised
    try:
        assert scanned(text, cuts, quote) == reference(text, quote)
    finally:
        textfile._REGION = saved


def test_known_text():
    text = b'a,b\n1,2\n\n \t\r\n3,"x\ny\nz"\r\n4,5'
    assert scanned(text, [5, 9, 17]) == {
        "rows": 6, "blank": [3, 4], "blank_tabs": [False, True], "spans": [(5, 2)],
        "line_breaks": 7, "crlf": 2,
    }


def test_scan_file_hash_is_the_files_sha256(tmp_path):
    data = b"".join(b"%d,\"v\n%d\"\r\n" % (i, i) for i in range(300_000))  # > 1 block
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    scan = textfile.scan_file(path, lines=True)
    assert scan.sha256 == hashlib.sha256(data).hexdigest()
    assert scan.size == len(data)
    assert scan.lines.rows == 300_000 and len(scan.lines.span_rows) == 300_000
