"""Exact small linear and integer programs, in rational arithmetic.

Complementary suppression (:mod:`cohort.disclosure`) asks, for each hidden
count of a released table, the least and greatest whole value consistent with
what is printed. Those programs have a handful of unknowns (the hidden counts;
every printed count is a constant), so a dense simplex over
:class:`fractions.Fraction` solves them exactly in microseconds, where loading
SciPy's HiGHS costs about half a second of import time on every command that
prints a small group (issue 16). Larger programs stay with HiGHS.

The method: each unknown ``x_j`` has a whole lower bound and an optional
upper bound; constraints are ``sum(a_j x_j) = b`` or ``<= b``. The unknowns
are shifted to ``y = x - lower``, upper bounds become rows, and a two-phase
simplex with Bland's rule (no cycling) finds an optimal vertex or proves the
program infeasible or unbounded. An optimum at a fractional vertex is solved
again as an integer program by branch and bound on the same exact simplex.

>>> rows = [({0: 1, 1: 1}, "=", 12)]          # x0 + x1 = 12
>>> extreme(rows, lower=[1, 11], upper=[10, None], objective=0, maximize=True)
Fraction(1, 1)
>>> extreme(rows, lower=[1, 5], upper=[10, None], objective=0, maximize=True)
Fraction(7, 1)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

INFEASIBLE, UNBOUNDED, OPTIMAL = "infeasible", "unbounded", "optimal"
MAX_NODES = 200  # branch-and-bound nodes before giving up (TooLarge)

Row = tuple[Mapping[int, int], str, int]  # ({unknown: coefficient}, "=" or "<=", rhs)


class TooLarge(Exception):
    """The integer program needs more branch-and-bound nodes than allowed:
    the caller falls back to a general solver."""


def extreme(rows: Sequence[Row], *, lower: Sequence[int], upper: Sequence[int | None],
            objective: int, maximize: bool) -> Fraction | float:
    """The least (or greatest) whole value of unknown ``objective``.

    Returns a :class:`~fractions.Fraction` (a whole number), ``inf`` / ``-inf``
    when the linear relaxation is unbounded in that direction, or ``nan`` when
    no solution exists. Raises :class:`TooLarge` when branch and bound does not
    finish within ``MAX_NODES`` nodes.

    >>> extreme([({0: 1, 1: -1}, "<=", 0)], lower=[0, 3], upper=[None, 5],
    ...         objective=0, maximize=True)
    Fraction(5, 1)
    >>> extreme([], lower=[2], upper=[None], objective=0, maximize=True)
    inf
    >>> extreme([({0: 1}, "=", 1)], lower=[2], upper=[None], objective=0, maximize=False)
    nan
    """
    sign = -1 if maximize else 1
    lo = [Fraction(v) for v in lower]
    hi = [None if v is None else Fraction(v) for v in upper]
    status, x, value = _solve(rows, lo, hi, objective, sign)
    if status == INFEASIBLE:
        return math.nan
    if status == UNBOUNDED:
        return -sign * math.inf
    if all(v.denominator == 1 for v in x):
        return sign * value
    nodes = [0]
    best = _branch(rows, lo, hi, objective, sign, None, nodes)
    return math.nan if best is None else sign * best


def _branch(rows, lo, hi, objective, sign, best, nodes):
    """Least ``sign * x[objective]`` over whole solutions within bounds
    ``lo``/``hi`` (depth first; a node no better than ``best`` is cut)."""
    nodes[0] += 1
    if nodes[0] > MAX_NODES:
        raise TooLarge(f"more than {MAX_NODES} branch-and-bound nodes")
    status, x, value = _solve(rows, lo, hi, objective, sign)
    if status == INFEASIBLE or (best is not None and value >= best):
        return best
    if status == UNBOUNDED:  # cannot happen below a bounded relaxation
        raise TooLarge("unbounded subproblem")
    j = next((j for j, v in enumerate(x) if v.denominator != 1), None)
    if j is None:
        return value
    down = list(hi)
    down[j] = Fraction(math.floor(x[j]))
    if down[j] >= lo[j]:
        best = _branch(rows, lo, down, objective, sign, best, nodes)
    up = list(lo)
    up[j] = Fraction(math.ceil(x[j]))
    if hi[j] is None or up[j] <= hi[j]:
        best = _branch(rows, up, hi, objective, sign, best, nodes)
    return best


def _solve(rows, lo, hi, objective, sign):
    """Minimise ``sign * x[objective]`` over the linear relaxation:
    ``(status, x, value)``."""
    n = len(lo)
    if any(h is not None and h < v for v, h in zip(lo, hi, strict=True)):
        return INFEASIBLE, None, None
    # standard form in y = x - lo >= 0, with a slack for every "<=" row and bound
    matrix, rhs = [], []
    slacks = sum(1 for _, sense, _ in rows if sense == "<=") + sum(h is not None for h in hi)
    width, s = n + slacks, n
    for coefs, sense, b in rows:
        row = [Fraction(0)] * width
        for j, a in coefs.items():
            row[j] += a
        r = Fraction(b) - sum(Fraction(a) * lo[j] for j, a in coefs.items())
        if sense == "<=":
            row[s] = Fraction(1)
            s += 1
        elif sense != "=":
            raise ValueError(f"constraint sense must be '=' or '<=', not {sense!r}")
        matrix.append(row)
        rhs.append(r)
    for j, h in enumerate(hi):
        if h is not None:
            row = [Fraction(0)] * width
            row[j] = row[s] = Fraction(1)
            s += 1
            matrix.append(row)
            rhs.append(h - lo[j])
    cost = [Fraction(0)] * width
    cost[objective] = Fraction(sign)
    status, y = _simplex(matrix, rhs, cost)
    if status != OPTIMAL:
        return status, None, None
    x = [y[j] + lo[j] for j in range(n)]
    return OPTIMAL, x, sign * x[objective]


def _simplex(matrix, rhs, cost):
    """Two-phase simplex with Bland's rule: minimise ``cost . y`` subject to
    ``matrix y = rhs``, ``y >= 0``. Returns ``(status, y)``."""
    m, n = len(matrix), len(cost)
    # phase 1: one artificial per row (rows negated so rhs >= 0)
    table = []
    for i, (row, b) in enumerate(zip(matrix, rhs, strict=True)):
        flip = -1 if b < 0 else 1
        art = [Fraction(0)] * m
        art[i] = Fraction(1)
        table.append([flip * a for a in row] + art + [flip * b])
    basis = [n + i for i in range(m)]
    phase1 = [Fraction(0)] * n + [Fraction(1)] * m
    if _pivot_to_optimum(table, basis, phase1, n + m) == UNBOUNDED:  # pragma: no cover
        raise AssertionError("phase 1 cannot be unbounded")
    if sum(table[i][-1] for i in range(m) if basis[i] >= n) > 0:
        return INFEASIBLE, None
    # drive artificials (at zero) out of the basis; a row with no other entry is redundant
    keep = []
    for i in range(m):
        if basis[i] >= n:
            j = next((j for j in range(n) if table[i][j] != 0), None)
            if j is None:
                continue
            _pivot(table, basis, i, j)
        keep.append(i)
    table = [table[i][:n] + [table[i][-1]] for i in keep]
    basis = [basis[i] for i in keep]
    if _pivot_to_optimum(table, basis, cost, n) == UNBOUNDED:
        return UNBOUNDED, None
    y = [Fraction(0)] * n
    for i, j in enumerate(basis):
        y[j] = table[i][-1]
    return OPTIMAL, y


def _pivot_to_optimum(table, basis, cost, columns) -> str:
    """Pivot until no column of the first ``columns`` has a negative reduced cost
    (Bland: the first such column enters, the first tied row leaves)."""
    while True:
        enter = None
        for j in range(columns):
            if j in basis:
                continue
            reduced = cost[j] - sum(cost[b] * table[i][j] for i, b in enumerate(basis))
            if reduced < 0:
                enter = j
                break
        if enter is None:
            return OPTIMAL
        leave, best = None, None
        for i, row in enumerate(table):
            if row[enter] > 0:
                ratio = row[-1] / row[enter]
                if best is None or ratio < best or (ratio == best and basis[i] < basis[leave]):
                    leave, best = i, ratio
        if leave is None:
            return UNBOUNDED
        _pivot(table, basis, leave, enter)


def _pivot(table, basis, i, j) -> None:
    pivot = table[i][j]
    table[i] = [v / pivot for v in table[i]]
    for k, row in enumerate(table):
        if k != i and row[j] != 0:
            f = row[j]
            table[k] = [a - f * b for a, b in zip(row, table[i], strict=True)]
    basis[i] = j
