"""Complementary suppression: no withheld count can be recovered by subtraction.

A table of counts with printed totals is a set of cells and *lines*: linear
relations a reader knows (a column adds up to its printed N; across a row,
the groups add up to the Overall cell). Suppressing a small count (``<11``)
is not enough when it is the only unknown of a line: the reader subtracts.
The rule registries apply (SEER*Stat, NAACCR) is to withhold a second,
complementary cell in every such line, the next-smallest one.

:func:`protect` does that for any set of cells and lines, then audits the
result by linear programming: for every sensitive cell it finds the smallest
and the largest value consistent with everything printed (and with what a
reader knows of the withheld cells: a ``<11`` count lies in 1..10, a
complementary ``–`` count is 11 or more, an unprinted count is 0 or more);
where the two meet, it withholds one more cell and audits again.

Cells that are never printed (the "no" count beside a yes/no variable's
"yes", the number of known values of a continuous variable) take part as
unknowns: they protect a line, and when small they are sensitive themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SHOWN, PRIMARY, COMPLEMENTARY, UNPRINTED = 0, 1, 2, 3


@dataclass
class Line:
    """A relation a reader knows: ``sum(coef * cell) == total`` over ``cells``."""

    cells: list[int]
    coef: list[float]
    total: float


def protect(values, lines: list[Line], *, threshold: int, printed=None,
            max_rounds: int = 200) -> np.ndarray:
    """The status of every cell: ``SHOWN``, ``PRIMARY`` (a count under the
    threshold), ``COMPLEMENTARY`` (withheld so no primary cell can be worked
    out) or ``UNPRINTED``.

    Examples
    --------
    Women 529, men 7, N = 536 printed: the 7 follows from 536 - 529, so the
    529 is withheld too.

    >>> protect([529, 7], [Line([0, 1], [1, 1], 536)], threshold=11).tolist()
    [2, 1]
    >>> protect([529, 70], [Line([0, 1], [1, 1], 599)], threshold=11).tolist()
    [0, 0]
    """
    values = np.asarray(values, dtype=float)
    printed = np.ones(values.size, bool) if printed is None else np.asarray(printed, bool)
    if threshold <= 0:
        return np.where(printed, SHOWN, UNPRINTED)
    sensitive = (values > 0) & (values < threshold)
    status = np.where(~printed, UNPRINTED, np.where(sensitive, PRIMARY, SHOWN))
    for _ in range(max_rounds):
        _close_lines(values, lines, status, sensitive)
        exposed = _audit(values, lines, status, sensitive, threshold)
        if exposed is None:
            return status
        _withhold_beside(exposed, values, lines, status)
    raise RuntimeError("complementary suppression did not settle; report this table")


def _close_lines(values, lines, status, sensitive) -> None:
    """Until no line has a withheld cell (or a sensitive unprinted one) as its
    only unknown: withhold the smallest non-zero printed cell of such a line.
    A complementary cell alone in a line would be worked out, and with it
    the count it protects."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [c for c in line.cells if status[c] != SHOWN]
            if len(hidden) == 1 and (sensitive[hidden[0]] or status[hidden[0]] in
                                     (PRIMARY, COMPLEMENTARY)):
                if _withhold_smallest(line.cells, values, status):
                    changed = True


def _withhold_smallest(cells, values, status) -> bool:
    shown = [c for c in cells if status[c] == SHOWN]
    candidates = [c for c in shown if values[c] > 0] or shown
    if not candidates:
        return False
    status[min(candidates, key=lambda c: (values[c], c))] = COMPLEMENTARY
    return True


def _withhold_beside(cell, values, lines, status) -> None:
    """One more complementary cell: the smallest shown one sharing a line with ``cell``."""
    near = {c for line in lines if cell in line.cells for c in line.cells}
    if not _withhold_smallest(sorted(near), values, status) and \
            not _withhold_smallest(list(range(values.size)), values, status):
        raise RuntimeError(f"cell {cell} cannot be protected: every cell is withheld")


def bounds(status, values, threshold: int, upper: float) -> list[tuple[float, float]]:
    """What a reader knows of each withheld cell."""
    out = []
    for s, v in zip(status, values, strict=True):
        if s == PRIMARY:
            out.append((1.0, threshold - 1.0))
        elif s == COMPLEMENTARY:
            out.append((float(threshold) if v >= threshold else 0.0, upper))
        else:
            out.append((0.0, upper))
    return out


def _audit(values, lines, status, sensitive, threshold) -> int | None:
    """The first sensitive cell a reader can work out exactly, or None."""
    from scipy.optimize import linprog

    hidden = np.flatnonzero(status != SHOWN)
    targets = [c for c in hidden if sensitive[c]]
    if not targets:
        return None
    index = {c: i for i, c in enumerate(hidden)}
    a_eq, b_eq = [], []
    for line in lines:
        row = np.zeros(hidden.size)
        rhs = line.total
        for c, k in zip(line.cells, line.coef, strict=True):
            if c in index:
                row[index[c]] += k
            else:
                rhs -= k * values[c]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    upper = float(values.sum()) + threshold
    box = bounds(status[hidden], values[hidden], threshold, upper)
    for c in targets:
        objective = np.zeros(hidden.size)
        objective[index[c]] = 1.0
        found = []
        for sign in (1.0, -1.0):
            res = linprog(sign * objective, A_eq=np.array(a_eq) if a_eq else None,
                          b_eq=np.array(b_eq) if b_eq else None, bounds=box, method="highs")
            if res.status != 0:  # infeasible cannot happen with true values; be safe
                return int(c)
            found.append(sign * res.fun)
        if found[1] - found[0] < 1 - 1e-9:
            return int(c)
    return None


def recoverable(values, lines: list[Line], status, *, threshold: int) -> list[int]:
    """Sensitive cells a reader could work out exactly from what is printed
    (for tests: must be empty for every released table)."""
    values = np.asarray(values, dtype=float)
    status = np.asarray(status)
    sensitive = (values > 0) & (values < threshold)
    out = []
    trial = status.copy()
    while True:
        c = _audit(values, lines, trial, sensitive & ~np.isin(np.arange(values.size), out),
                   threshold)
        if c is None:
            return out
        out.append(c)
