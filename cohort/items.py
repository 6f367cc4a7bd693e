"""The alias table: which registry item each input column means.

``cohort/data/items.csv`` is the single place that names the items cohort
uses: canonical name, NAACCR item number and XML id, SEER*Stat labels and
short names, the code list, how the value is stored, and what an invalid
value does to its record. ``cohort/data/identifiers.csv`` lists the columns a
de-identified extract must not carry.

The code list (``codes``) is the one source of an item's validation pattern
and of the message that quotes it (see :mod:`cohort.codelist`); only items
whose values are not a list of codes (identifiers, ICD codes, dates) carry a
regular expression of their own in ``pattern``, and their ``codes`` is then
a description.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from cohort import codelist


@dataclass(frozen=True)
class Item:
    """One registry item, as described by a row of ``items.csv``."""

    name: str
    item: str
    naaccr_id: str
    kind: str  # code | integer | age | date | text
    width: int
    pattern: str  # compiled from ``codes`` unless the row gives its own
    unknown: str
    required: str  # yes | column (column needed, blanks allowed) | no | a group name
    level: str
    codes: str
    other_names: tuple[str, ...]
    on_invalid: str = "edit"  # reject (the record) | edit (the value becomes unknown)
    code_list: bool = False  # the pattern is compiled from ``codes``

    @property
    def rejects(self) -> bool:
        """Does an invalid value reject the whole record? Only identity and
        analysis keys do (patient, sequence, site, histology, behaviour,
        dates, vital status, follow-up); any other bad value is set to
        unknown and listed in ``item_edits``."""
        return self.on_invalid == "reject"

    @property
    def aliases(self) -> tuple[str, ...]:
        names = (self.name, self.naaccr_id, self.item, *self.other_names)
        return tuple(n for n in names if n)


@dataclass(frozen=True)
class Identifier:
    name: str
    item: str
    kind: str  # direct | quasi | free-text
    what: str


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("cohort").joinpath("data").joinpath(filename).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def items() -> tuple[Item, ...]:
    """All items of the alias table, in file order."""
    out = []
    for row in _rows("items.csv"):
        pattern = row["pattern"]
        # a blank pattern and a description (not a code list) means: no check
        code_list = (not pattern and row["kind"] in ("code", "integer", "age")
                     and codelist.is_code_list(row["codes"]))
        if code_list:
            try:
                pattern = codelist.pattern(row["codes"])
            except ValueError as exc:
                raise RuntimeError(f"items.csv: {row['name']}: bad code list: {exc}") from exc
        out.append(
            Item(
                name=row["name"],
                item=row["item"],
                naaccr_id=row["naaccr_id"],
                kind=row["kind"],
                width=int(row["width"]),
                pattern=pattern,
                unknown=row["unknown"],
                required=row["required"],
                level=row["level"],
                codes=row["codes"],
                other_names=tuple(n for n in row["other_names"].split("|") if n),
                on_invalid=row.get("on_invalid") or "edit",
                code_list=code_list,
            )
        )
    return tuple(out)


@cache
def items_by_name() -> dict[str, Item]:
    return {it.name: it for it in items()}


def normalise_name(name: str) -> str:
    """Fold a column name for matching: case, spaces and punctuation ignored."""
    return re.sub(r"[^0-9a-z+]", "", name.casefold())


@cache
def _alias_index() -> dict[str, str]:
    """Exact names (canonical, NAACCR id, item number; case ignored) and folded
    labels (SEER*Stat labels and short names: case, spaces, punctuation ignored).

    Exact names are not folded: ``summary_stage_2018`` (item 762) must not
    catch the NAACCR id ``summaryStage2018`` (item 764).
    """
    index: dict[str, str] = {}
    for it in items():
        keys = [n.casefold() for n in (it.name, it.naaccr_id, it.item) if n]
        keys += ["~" + normalise_name(n) for n in it.other_names]
        for key in keys:
            if index.get(key, it.name) != it.name:
                raise RuntimeError(f"items.csv: alias {key!r} names two items")
            index[key] = it.name
    return index


def canonical_name(column: str) -> str | None:
    """The canonical item a column header means, or None when unknown.

    >>> canonical_name("regionalNodesPositive")
    'nodes_positive_code'
    >>> canonical_name("Regional nodes positive (1988+)")
    'nodes_positive_code'
    >>> canonical_name("820")
    'nodes_positive_code'
    >>> canonical_name("summaryStage2018") is None  # item 764, not 762
    True
    >>> canonical_name("favourite_colour") is None
    True
    """
    index = _alias_index()
    exact = index.get(column.strip().casefold())
    return exact if exact is not None else index.get("~" + normalise_name(column))


@cache
def _identifier_index() -> dict[str, Identifier]:
    """Exact identifiers by folded id, item number and NAACCR name
    (``identifiers.csv``: every NAACCR confidential and text item among them)."""
    index = {}
    for row in _rows("identifiers.csv"):
        ident = Identifier(row["name"], row["item"], row["kind"], row["what"])
        for key in (row["name"], row["naaccr_name"]):
            if key:
                index[normalise_name(_compat(key))] = ident
        if ident.item:
            index[ident.item] = ident
    return index


def _compat(text: str) -> str:
    """Unicode compatibility forms folded (full-width ``ＳＳＮ`` is ``SSN``,
    mathematical bold letters are letters) and invisible format characters
    (zero-width spaces, joiners) removed."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


# Words of identifier names, for splitting glued spellings ("patientlastname")
_VOCAB = frozenset("""
    name last first middle given family maiden birth sur fore full nick alias patient pt person
    spouse parent mother father legal preferred contact initials surname forename lname fname
    ssn social security soc sec number num no nbr nr id medical med record rec mrn chart hospital
    hosp health medicare medicaid beneficiary member insurance account passport nhs date dt dob
    of day address addr street line home house city town zip code postal post postcode zipcode
    phone tel telephone mobile cell fax email e mail text notes note remarks remark comment
    comments narrative free memo current primary at dx work lat long latitude longitude census
    tract block
""".split())
_PERSON = frozenset("""last first middle given family maiden birth sur fore full nick alias
    patient pt person spouse parent mother father legal preferred contact""".split())
_NUMBERISH = frozenset("number num no nbr nr id".split())
_NOT_A_PLACE = frozenset("state country county province region type".split())
_DECOR = frozenset("text raw value field string str txt var data col column yyyymmdd mmddyyyy"
                   .split())
_FREE = frozenset("notes note remarks remark comment comments narrative memo".split())


def name_tokens(column: str) -> list[str]:
    """The words of a column name: compatibility forms folded, camelCase,
    digits and punctuation split, case folded, glued words separated.

    >>> name_tokens("addrAtDxCity")
    ['addr', 'at', 'dx', 'city']
    >>> name_tokens("ＳＳＮ_last4")
    ['ssn', 'last', '4']
    >>> name_tokens("PATIENTLASTNAME")
    ['patient', 'last', 'name']
    """
    text = _compat(column)
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    text = re.sub(r"([A-Za-z])([0-9])|([0-9])([A-Za-z])", r"\1\3 \2\4", text)
    out = []
    for word in re.split(r"[^0-9a-z]+", text.casefold()):
        if word:
            out += _split_glued(word)
    return out


@cache
def _split_glued(word: str) -> list[str]:
    """A word glued from identifier words split into them (fewest pieces;
    up to two trailing letters may be left over: ``lastnamex``), else the
    word itself."""
    if word in _VOCAB or len(word) < 4 or not word.isalpha():
        return [word]
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 12), end):
            piece = word[start:end]
            if best[start] is not None and piece in _VOCAB:
                cand = best[start] + [piece]
                if best[end] is None or len(cand) < len(best[end]):
                    best[end] = cand
    for rest in range(3):  # whole word, or all but its last one or two letters
        found = best[len(word) - rest]
        if found and (rest == 0 or len(found) > 1 or len(found[0]) >= 3):
            return found + ([word[len(word) - rest:]] if rest else [])
    return [word]


def _by_words(tokens: list[str]) -> tuple[str, str] | None:
    """(kind, what) when the words of a name say it is an identifier."""
    t = set(tokens)
    # "name", "name_2", "Name (text)": nothing but the name and decoration
    bare = all(w == "name" or len(w) <= 2 or w.isdigit() or w in _DECOR for w in tokens)
    if "name" in t and (bare or t & _PERSON) or t & {
            "surname", "forename", "lname", "fname", "initials"}:
        return "direct", "a person's name"
    if "ssn" in t or {"social", "security"} <= t or {"soc", "sec"} <= t:
        return "direct", "Social Security number"
    if ("mrn" in t or {"medical", "record"} <= t or {"med", "rec"} <= t
            or {"health", "record"} <= t
            or ("chart" in t and t & (_NUMBERISH | {"record"}))
            or (t & {"hospital", "hosp"} and t & (_NUMBERISH - {"id"} | {"record", "rec"}))
            or {"patient", "record"} <= t
            or t & {"medicare", "medicaid", "beneficiary", "passport", "nhs"}
            or ({"member", "insurance", "account"} & t and t & _NUMBERISH)):
        return "direct", "medical record or insurance number"
    if "email" in t or {"e", "mail"} <= t:
        return "direct", "e-mail address"
    if t & {"phone", "tel", "telephone", "mobile", "fax"} or ("cell" in t and t & _NUMBERISH):
        return "direct", "telephone number"
    if "dob" in t or ("birth" in t and t & {"date", "dt", "day"}):
        return "quasi", "date of birth"
    if t & {"zip", "postal", "postcode", "zipcode"}:
        return "quasi", "postal code"
    if t & {"city", "town"}:
        return "quasi", "city or town"
    if t & {"latitude", "longitude"} or {"census", "block"} <= t:
        return "quasi", "geocode"
    if "street" in t or (t & {"address", "addr"} and not t & _NOT_A_PLACE):
        return "direct", "street address"
    if t & _FREE or {"free", "text"} <= t:
        return "free-text", "free text"
    return None


def identifier(column: str) -> Identifier | None:
    """The identifier a column header is, or None when it is not one.

    Matched on the folded name first (NAACCR confidential and text items by
    id, number and name, from ``identifiers.csv``), then on its words
    (:func:`name_tokens`), so ``Patient Last Name``, ``family_name``,
    ``ＳＳＮ`` or ``DOB (YYYYMMDD)`` are caught however they are spelled.
    Kinds: ``direct`` (the file is refused), ``quasi`` (dropped with a
    notice), ``free-text`` (dropped unless kept explicitly). NAACCR-style
    text items (``text...``) are direct: they routinely contain names.

    >>> identifier("nameLast").what
    'patient last name'
    >>> identifier("textDxProcPe").kind
    'direct'
    >>> identifier("Patient Last Name").kind, identifier("DOB (YYYYMMDD)").kind
    ('direct', 'quasi')
    >>> identifier("nodes_positive_code") is None
    True
    """
    folded = normalise_name(_compat(column))
    found = _identifier_index().get(folded)
    if found is not None:
        return found
    if re.fullmatch(r"(rx)?text[A-Z0-9]\w*", _compat(column).strip(), flags=re.IGNORECASE) and (
            "text" in name_tokens(column)):
        return Identifier(column, "", "direct", "NAACCR free-text item (may contain names)")
    by_words = _by_words(name_tokens(column))
    if by_words is None:
        return None
    kind, what = by_words
    return Identifier(column, "", kind, what)


def required_groups() -> dict[str, list[str]]:
    """Required items: ``{"yes": [...], group: [one of these], ...}``.

    ``column`` items count as ``yes`` here: the file must carry the column,
    though a blank value is allowed (it means unknown).
    """
    groups: dict[str, list[str]] = {}
    for it in items():
        if it.required != "no":
            key = "yes" if it.required == "column" else it.required
            groups.setdefault(key, []).append(it.name)
    return groups
