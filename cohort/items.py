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
    kind: str  # direct | quasi
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
    index = {}
    for row in _rows("identifiers.csv"):
        ident = Identifier(row["name"], row["item"], row["kind"], row["what"])
        index[normalise_name(ident.name)] = ident
        if ident.item:
            index[ident.item] = ident
    return index


def identifier(column: str) -> Identifier | None:
    """The identifier a column header is, or None when it is not one.

    NAACCR free-text items (``text...``) are treated as direct identifiers:
    they routinely contain names.

    >>> identifier("nameLast").what
    'patient last name'
    >>> identifier("textDxProcPe").kind
    'direct'
    >>> identifier("nodes_positive_code") is None
    True
    """
    found = _identifier_index().get(normalise_name(column))
    if found is None and re.fullmatch(r"text[A-Z]\w*", column.strip()):
        found = Identifier(column, "", "direct", "NAACCR free-text item (may contain names)")
    return found


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
