"""Small-cell suppression, applied by every output path.

Registries publish no count below a threshold (default 11, as CMS-linked
SEER data require): such a count is shown as ``<11`` (primary suppression).
A hidden cell beside printed totals can be recovered by subtraction (536
cases, 529 women, men ``<11``: 7 men), so wherever a table prints margins a
second cell is hidden too (complementary suppression, shown ``*``), as
SEER*Stat and NAACCR's data-release rules require.

:func:`protect` is the one algorithm every table uses. A table is described
as its printed counts and the sums that tie them (a total and its parts).
Cells under the threshold are hidden first; then, for as long as some hidden
count can still be pinned to one value by linear programming over what is
printed, the smallest printed non-zero count that shares a sum with it is
hidden as well. The adversary of that check knows every printed number and
sum, that ``<11`` means 1-10 and that ``*`` means 11 or more (complements
are never zeros). Percentages of hidden counts, and percentages whose
denominator is hidden, are withheld by the pages that print them.

Python result objects keep the exact numbers (and say so); tables meant to
leave the building (``render``, CSV, PDF) go through these functions.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

DEFAULT_THRESHOLD = 11
COMPLEMENT = "*"
PRIMARY, SECONDARY = "primary", "complementary"
EXACT_UNKNOWNS = 24  # hidden counts up to which the ranges are solved exactly (no SciPy)


def suppress(
    df: pl.DataFrame, columns: list[str], *, threshold: int = DEFAULT_THRESHOLD
) -> pl.DataFrame:
    """Counts below ``threshold`` (and above zero) in ``columns`` become ``"<threshold"``.

    Zero is not disclosive and stays. The columns become text. Only for
    counts printed without margins; tables with totals use :func:`protect`.

    >>> df = pl.DataFrame({"group": ["N0", "N1"], "n": [250, 7], "events": [0, 3]})
    >>> suppress(df, ["n", "events"]).rows()
    [('N0', '250', '0'), ('N1', '<11', '<11')]
    """
    if threshold <= 0:
        return df
    exprs = []
    for col in columns:
        if col not in df.columns:
            continue
        c = pl.col(col)
        exprs.append(
            pl.when((c > 0) & (c < threshold))
            .then(pl.lit(f"<{threshold}"))
            .otherwise(c.cast(pl.Int64, strict=False).cast(pl.Utf8))
            .alias(col)
        )
    return df.with_columns(exprs)


def mask_small_groups(
    df: pl.DataFrame, *, count: str, columns: list[str], threshold: int = DEFAULT_THRESHOLD
) -> pl.DataFrame:
    """Blank the estimates of rows whose group count is below the threshold.

    A survival estimate of a group of 4 people discloses about each of them;
    its row keeps the (suppressed) count and loses the estimates.
    """
    small = (pl.col(count) > 0) & (pl.col(count) < threshold)
    return df.with_columns(
        pl.when(small).then(None).otherwise(pl.col(c)).alias(c) for c in columns if c in df.columns
    )


# -- complementary suppression ------------------------------------------------------
@dataclass
class Table:
    """The counts of one released table and what ties them together.

    ``values`` are the exact counts of every cell and total the table
    prints; ``sums`` are ``(total, parts)`` equations among them. Keys in a
    sum that are not printed are ``hidden`` (known to the registry, not to a
    reader: between 0 and any number) unless listed in ``known`` (a reader
    may know them: treat as printed). ``at_most`` are ``(small, big)``
    pairs with small <= big (a subset of a group).
    """

    values: dict[Hashable, int]
    sums: list[tuple[Hashable, Sequence[Hashable]]] = field(default_factory=list)
    hidden: dict[Hashable, int] = field(default_factory=dict)
    known: dict[Hashable, int] = field(default_factory=dict)
    at_most: list[tuple[Hashable, Hashable]] = field(default_factory=list)


def protect(table: Table, *, threshold: int = DEFAULT_THRESHOLD) -> dict[Hashable, str]:
    """Which printed counts to hide: ``{key: "primary" | "complementary"}``.

    Counts from 1 to ``threshold - 1`` are hidden (primary). Then, while a
    hidden count can be recovered exactly from what is printed (its range
    under the sums, by linear programming, holds one integer), the
    smallest printed non-zero count sharing a sum with it is hidden too;
    failing that, the sum's printed total.

    >>> t = Table({"n": 536, "women": 529, "men": 7}, sums=[("n", ["women", "men"])])
    >>> protect(t)
    {'men': 'primary', 'women': 'complementary'}
    >>> t = Table({"n": 536, "women": 529, "men": 7, "n2": 40, "women2": 29, "men2": 11,
    ...            "all": 576},
    ...           sums=[("n", ["women", "men"]), ("n2", ["women2", "men2"]),
    ...                 ("all", ["n", "n2"])])
    >>> sorted(protect(t).items())
    [('men', 'primary'), ('women', 'complementary')]
    """
    if threshold <= 0:
        return {}
    status = {k: PRIMARY for k, v in table.values.items() if 0 < v < threshold}
    if not status:
        return {}
    for _ in range(len(table.values) + 1):
        exposed = recoverable(table, status, threshold, first=True)
        if not exposed:
            return status
        extra = _complement(table, status, exposed)
        if extra is None:  # nothing printed is left to hide around it
            return status
        status[extra] = SECONDARY
    return status


def cell_text(value: int | None, state: str | None, threshold: int) -> str:
    """A count as printed: ``1,234``, ``<11`` (primary) or ``*`` (complementary)."""
    if value is None:
        return ""
    if state == PRIMARY:
        return f"<{threshold}"
    if state == SECONDARY:
        return COMPLEMENT
    return f"{value:,}"


def recoverable(table: Table, status: dict[Hashable, str], threshold: int, *,
                first: bool = False) -> list[Hashable]:
    """The hidden counts a reader can pin to one value from what is printed
    (``first``: stop at the first one)."""
    found = []
    for k, (lo, hi) in _ranges(table, status, threshold):
        if _one_integer(lo, hi):
            found.append(k)
            if first:
                break
    return found


def attacker_ranges(table: Table, status: dict[Hashable, str], threshold: int
                    ) -> dict[Hashable, tuple[float, float]]:
    """For each hidden count, the least and greatest whole value consistent
    with everything printed."""
    return dict(_ranges(table, status, threshold))


def _program(table: Table, status: dict[Hashable, str], threshold: int
             ) -> tuple[list, dict]:
    """The range programs' variables (printed counts, then hidden ones, then
    known ones) and each one's bounds: a printed or known count is fixed, a
    primary suppression lies in 1..threshold-1, a secondary one is at least
    the threshold, any other hidden count is non-negative."""
    keys = list(table.values) + [k for k in table.hidden if k not in table.values]
    keys += [k for k in table.known if k not in keys]
    bounds: dict = {}
    for k in keys:
        if k in table.known:
            v = table.known[k]
            bounds[k] = (v, v)
        elif k in table.hidden and k not in table.values:
            bounds[k] = (0, None)
        elif status.get(k) == PRIMARY:
            bounds[k] = (1, threshold - 1)
        elif status.get(k) == SECONDARY:
            bounds[k] = (threshold, None)
        else:
            v = table.values[k]
            bounds[k] = (v, v)
    return keys, bounds


def _ranges(table: Table, status: dict[Hashable, str], threshold: int):
    """(key, (least, greatest)) for each hidden count, lazily.

    Every printed or known count is a constant, so the programs have only
    the hidden counts as unknowns: up to ``EXACT_UNKNOWNS`` of them (every
    Kaplan-Meier, attrition and file table) are solved exactly in rational
    arithmetic (:mod:`cohort.exact_lp`), larger ones by HiGHS. Counts are
    whole numbers, so an optimum at a fractional point is solved again as an
    integer program (the sums of a table of margins are totally unimodular
    and that hardly ever happens).
    """
    keys, bounds = _program(table, status, threshold)
    unknowns = [k for k in keys if bounds[k][0] != bounds[k][1]]
    if len(unknowns) <= EXACT_UNKNOWNS:
        yield from _exact_ranges(table, status, bounds, unknowns)
    else:
        yield from _highs_ranges(table, status, bounds, keys)


def _exact_ranges(table: Table, status: dict, bounds: dict, unknowns: list):
    import math

    from cohort.exact_lp import TooLarge, extreme

    pos = {k: i for i, k in enumerate(unknowns)}
    rows = []

    def add(terms, sense):
        coefs, constant = {}, 0
        for k, a in terms:
            if k in pos:
                coefs[pos[k]] = coefs.get(pos[k], 0) + a
            else:
                constant += a * bounds[k][0]
        rows.append((coefs, sense, -constant))

    for total, parts in table.sums:
        add([(p, 1) for p in parts] + [(total, -1)], "=")
    for small, big in table.at_most:
        add([(small, 1), (big, -1)], "<=")
    if any(not c and (b != 0 if s == "=" else b < 0) for c, s, b in rows):
        for k in status:  # the printed counts contradict each other
            yield k, (float("nan"), float("nan"))
        return
    rows = [r for r in rows if r[0]]
    lower = [bounds[k][0] for k in unknowns]
    upper = [bounds[k][1] for k in unknowns]
    feasible = None
    for k in status:
        try:
            if k in pos:
                least, most = (float(extreme(rows, lower=lower, upper=upper, objective=pos[k],
                                             maximize=m)) for m in (False, True))
            else:  # a hidden count the reader knows: one value, if the rest is consistent
                if feasible is None:
                    feasible = not unknowns or not math.isnan(
                        extreme(rows, lower=lower, upper=upper, objective=0, maximize=False))
                least = most = float(bounds[k][0]) if feasible else float("nan")
        except TooLarge:
            yield from _highs_ranges(table, {k: status[k]}, bounds, list(bounds))
            continue
        yield k, (least, most)


def _highs_ranges(table: Table, status: dict, bounds: dict, keys: list):
    import numpy as np
    from scipy.optimize import linprog

    pos = {k: i for i, k in enumerate(keys)}
    a_eq, a_ub = [], []
    for total, parts in table.sums:
        row = np.zeros(len(keys))
        for p in parts:
            row[pos[p]] += 1
        row[pos[total]] -= 1
        a_eq.append(row)
    for small, big in table.at_most:
        row = np.zeros(len(keys))
        row[pos[small]] += 1
        row[pos[big]] -= 1
        a_ub.append(row)
    problem = {"A_eq": np.array(a_eq) if a_eq else None, "b_eq": np.zeros(len(a_eq)) if a_eq
               else None, "A_ub": np.array(a_ub) if a_ub else None,
               "b_ub": np.zeros(len(a_ub)) if a_ub else None,
               "bounds": [bounds[k] for k in keys], "method": "highs"}

    def extreme(c: np.ndarray, sign: float) -> float:
        res = linprog(sign * c, **problem)
        if res.status == 3:  # unbounded
            return -sign * float("inf")
        if res.status != 0:
            return float("nan")
        if not np.allclose(res.x, np.round(res.x), atol=1e-7):
            res = linprog(sign * c, integrality=np.ones(len(keys)), **problem)
            if res.status != 0:
                return -sign * float("inf") if res.status == 3 else float("nan")
        return sign * res.fun

    for k in status:
        c = np.zeros(len(keys))
        c[pos[k]] = 1.0
        yield k, (extreme(c, 1.0), extreme(c, -1.0))


def _one_integer(lo: float, hi: float) -> bool:
    import math

    if math.isnan(lo) or math.isnan(hi) or math.isinf(lo) or math.isinf(hi):
        return False
    return math.floor(hi + 1e-6) - math.ceil(lo - 1e-6) < 1


def _complement(table: Table, status: dict, exposed: list) -> Hashable | None:
    """The next count to hide: the smallest printed non-zero count in a sum
    (or a subset pair) that touches the exposed counts or the hidden counts
    linked to them; a cell before a total printed nowhere else."""
    links = [(total, *parts) for total, parts in table.sums] + list(table.at_most)
    component, frontier = set(exposed), list(exposed)
    while frontier:
        key = frontier.pop()
        for members in links:
            if key in members:
                for m in members:
                    if m in status and m not in component:
                        component.add(m)
                        frontier.append(m)
    parts = {p for _, ps in table.sums for p in ps} | {k for pair in table.at_most for k in pair}
    candidates = {m for members in links if component & set(members) for m in members
                  if m in table.values and m not in status and m not in table.known
                  and table.values[m] > 0}
    if not candidates:
        return None
    return min(candidates, key=lambda k: (k not in parts, table.values[k], str(k)))


# -- tables the outputs print ----------------------------------------------------------
def protect_frame(
    df: pl.DataFrame,
    columns: Iterable[str],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    totals: dict[str, int] | None = None,
    row_total: tuple[str, Sequence[str]] | None = None,
    within: Sequence[tuple[str, str]] = (),
) -> pl.DataFrame:
    """A frame of counts with every count ready to print (text).

    ``totals`` are column totals printed elsewhere (the cohort size beside a
    table of groups); ``row_total`` is ``(total column, part columns)`` for
    rows that add up; ``within`` are ``(part, whole)`` columns of each row
    (events within n). Null counts stay blank.

    >>> df = pl.DataFrame({"group": ["N0", "N1", "N2"], "n": [529, 40, 7]})
    >>> protect_frame(df, ["n"], totals={"n": 576})["n"].to_list()
    ['529', '*', '<11']
    """
    columns = [c for c in columns if c in df.columns]
    if threshold <= 0:
        return df.with_columns(pl.col(c).cast(pl.Int64).cast(pl.Utf8) for c in columns)
    values: dict = {}
    for c in columns:
        for i, v in enumerate(df[c].to_list()):
            if v is not None:
                values[(i, c)] = int(v)
    sums = []
    for c, total in (totals or {}).items():
        if c in columns:
            values[("total", c)] = int(total)
            sums.append((("total", c), [(i, c) for i in range(df.height) if (i, c) in values]))
    if row_total is not None:
        tot, parts = row_total
        for i in range(df.height):
            members = [(i, p) for p in parts]
            if (i, tot) in values and all(m in values for m in members):
                sums.append(((i, tot), members))
    at_most = [((i, a), (i, b)) for a, b in within for i in range(df.height)
               if (i, a) in values and (i, b) in values]
    status = protect(Table(values, sums=sums, at_most=at_most), threshold=threshold)
    out = {c: [cell_text(values.get((i, c)), status.get((i, c)), threshold)
               if (i, c) in values else None for i in range(df.height)] for c in columns}
    return df.with_columns(pl.Series(c, out[c], dtype=pl.Utf8) for c in columns)


def protect_file_counts(df: pl.DataFrame, *, threshold: int = DEFAULT_THRESHOLD) -> pl.DataFrame:
    """The report cover's file table: read = loaded + rejected per file, and
    records in force within those loaded."""
    cols = [c for c in ("read", "loaded", "rejected", "in force") if c in df.columns]
    return protect_frame(df, cols, threshold=threshold,
                         row_total=("read", ["loaded", "rejected"]),
                         within=[("in force", "loaded")] if "in force" in cols else ())
