"""Code lists: the one text an item's validation pattern and its error message
both come from.

An item's ``codes`` in ``items.csv`` is a list of entries separated by
``"; "``. Each entry is a code specification, a space, and what the codes
mean: ``"1 male; 2 female; 3-6 other sex or gender; 9 unknown"``. A
specification is one code (``9``, ``X.1``, ``p0I-``), a range of codes of
one shape (``00-89``, ``C000-C809``, ``0.1-99.9``), or several of those
joined by commas (``1,2,4``). The regular expression that validation uses is
compiled from the specifications, so a code the message lists is always
accepted and a value the message does not list never is.

A range keeps the shape of its ends: ``00-89`` is two digits with a leading
zero, ``C000-C809`` keeps the ``C``; ends of different lengths
(``0.1-99.9``) mean numbers written without leading zeros, with the same
number of decimals.
"""

from __future__ import annotations

import re
from functools import cache

# Ranges are enumerated; registry code ranges are small (at most 0000-9999).
_MAX_RANGE = 20_000
_SPECIAL = set(r"\.^$|?*+()[]{}")


def entries(codes: str) -> list[tuple[str, str]]:
    """Split a code list into (specification, meaning) pairs.

    >>> entries("1 male; 2 female; 3-6 other; 9 unknown")
    [('1', 'male'), ('2', 'female'), ('3-6', 'other'), ('9', 'unknown')]
    """
    out = []
    for entry in codes.split(";"):
        entry = entry.strip()
        if not entry:
            continue
        spec, _, meaning = entry.partition(" ")
        out.append((spec, meaning.strip()))
    return out


_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+\-]{0,4}")


def is_code_list(codes: str) -> bool:
    """Is this text a code list (every entry a code specification and its
    meaning), rather than a description?

    >>> is_code_list("0 negative; 1 positive; 8,9 unknown")
    True
    >>> is_code_list("site-specific EOD regional nodes code")
    False
    """
    found = entries(codes)
    if not found:
        return False
    for spec, meaning in found:
        if not meaning:
            return False
        for part in spec.split(","):
            ends = part.split("-", 1) if _range(part) else [part]
            if not all(_CODE.fullmatch(end) for end in ends):
                return False
    return True


def expand(spec: str) -> list[str]:
    """Every code one specification stands for, in order.

    >>> expand("1,2,4")
    ['1', '2', '4']
    >>> expand("C807-C809")
    ['C807', 'C808', 'C809']
    >>> expand("9.8-10.1")
    ['9.8', '9.9', '10.0', '10.1']
    >>> expand("p0I-")
    ['p0I-']
    """
    codes: list[str] = []
    for part in spec.split(","):
        if not part:
            raise ValueError(f"empty code in {spec!r}")
        codes.extend(_range(part) or [part])
    return codes


def _range(part: str) -> list[str] | None:
    """The codes of ``lo-hi``, or None when ``part`` is not a range."""
    lo, sep, hi = part.partition("-")
    if not sep or not lo or not hi or "-" in hi:
        return None
    if len(lo) == len(hi) and _skeleton(lo) == _skeleton(hi) and any(c.isdigit() for c in lo):
        # same shape: step the digits, keep every other character in place
        slots = [i for i, c in enumerate(lo) if c.isdigit()]
        a = int("".join(lo[i] for i in slots))
        b = int("".join(hi[i] for i in slots))
        _check_size(part, a, b)
        out = []
        for n in range(a, b + 1):
            digits = iter(str(n).zfill(len(slots)))
            out.append("".join(next(digits) if c.isdigit() else c for c in lo))
        return out
    number = re.compile(r"[0-9]+(\.[0-9]+)?")
    if number.fullmatch(lo) and number.fullmatch(hi):
        decimals = len(lo.partition(".")[2])
        if decimals != len(hi.partition(".")[2]):
            raise ValueError(f"range {part!r}: both ends need the same number of decimals")
        if re.match("0[0-9]", lo):
            raise ValueError(f"range {part!r}: a zero-padded range needs ends of one length")
        scale = 10**decimals
        a, b = round(float(lo) * scale), round(float(hi) * scale)
        _check_size(part, a, b)
        if decimals:
            return [f"{n // scale}.{str(n % scale).zfill(decimals)}" for n in range(a, b + 1)]
        return [str(n) for n in range(a, b + 1)]
    return None


def _skeleton(code: str) -> str:
    return re.sub("[0-9]", "#", code)


def _check_size(part: str, a: int, b: int) -> None:
    if b < a:
        raise ValueError(f"range {part!r} runs backwards")
    if b - a >= _MAX_RANGE:
        raise ValueError(f"range {part!r} is too large to list")


def all_codes(codes: str) -> list[str]:
    """Every code of a code list.

    >>> all_codes("0 no; 1,2 yes; 8-9 unknown")
    ['0', '1', '2', '8', '9']
    """
    return [code for spec, _ in entries(codes) for code in expand(spec)]


@cache
def widths(codes: str) -> frozenset[int]:
    """The lengths of the codes of a code list (one length: a fixed-width code,
    which registry software zero-pads).

    >>> sorted(widths("00-89 count; 90 ninety or more"))
    [2]
    >>> sorted(widths("p0,p0I- N; 88 not applicable"))
    [2, 4]
    """
    return frozenset(len(c) for c in all_codes(codes))


@cache
def pattern(codes: str) -> str:
    """The regular expression (RE2 and Python) matching exactly the codes of
    a code list.

    >>> pattern("1 male; 2 female; 3-6 other; 9 unknown")
    '[1-69]'
    >>> pattern("00-89 count; 90 ninety or more; 95,97-99 special")
    '(?:[0-8][0-9]|9[057-9])'
    >>> import re
    >>> bool(re.fullmatch(pattern("C000-C809 topography"), "C999"))
    False
    """
    codes_all = all_codes(codes)
    if not codes_all:
        raise ValueError("empty code list")
    trie: dict = {}
    for code in codes_all:
        node = trie
        for ch in code:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _emit(trie)


def _emit(node: dict) -> str:
    """A regular expression for a trie of codes; children with the same
    continuation share a character class."""
    end = "" in node
    groups: dict[str, list[str]] = {}
    for ch in sorted(k for k in node if k):
        groups.setdefault(_emit(node[ch]), []).append(ch)
    alternatives = [_char_class(chars) + rest for rest, chars in groups.items()]
    if not alternatives:
        return ""
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    if end:
        body = body + "?" if len(body) == 1 or body.startswith("(?:") else f"(?:{body})?"
    return body


def _char_class(chars: list[str]) -> str:
    if len(chars) == 1:
        c = chars[0]
        return "\\" + c if c in _SPECIAL else c
    # runs of consecutive characters become a-b
    parts, i = [], 0
    while i < len(chars):
        j = i
        while j + 1 < len(chars) and ord(chars[j + 1]) == ord(chars[j]) + 1:
            j += 1
        a, b = chars[i], chars[j]
        esc = [("\\" + c if c in "\\]-^[" else c) for c in (a, b)]
        parts.append(esc[0] if i == j else esc[0] + esc[1] if j == i + 1 else f"{esc[0]}-{esc[1]}")
        i = j + 1
    return "[" + "".join(parts) + "]"
