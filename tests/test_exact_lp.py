"""The exact small-program solver behind complementary suppression (issue 16:
no SciPy on the Kaplan-Meier path). Checked against hand-solved programs and
against SciPy's HiGHS (an independent solver: linprog, then milp when the
relaxation's optimum is fractional) on random released tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort import disclosure
from cohort.disclosure import PRIMARY, SECONDARY, Table, attacker_ranges, protect
from cohort.exact_lp import TooLarge, extreme

T = 11


def test_hand_solved_programs():
    # x0 + x1 + x2 = 20, x0 in 1..10, x1 in 1..10, x2 >= 11: x0 in 1..8
    rows = [({0: 1, 1: 1, 2: 1}, "=", 20)]
    bounds = {"lower": [1, 1, 11], "upper": [10, 10, None]}
    assert extreme(rows, **bounds, objective=0, maximize=False) == 1
    assert extreme(rows, **bounds, objective=0, maximize=True) == 8
    assert extreme(rows, **bounds, objective=2, maximize=True) == 18
    # nothing ties x1 from above
    assert extreme([({0: 1, 1: -1}, "<=", 0)], lower=[0, 0], upper=[5, None],
                   objective=1, maximize=True) == math.inf
    # x0 = x1, x0 <= 3, x1 >= 4: no solution
    assert math.isnan(extreme([({0: 1, 1: -1}, "=", 0)], lower=[0, 4], upper=[3, None],
                              objective=0, maximize=True))


def test_fractional_relaxation_is_solved_as_an_integer_program():
    """2 x0 = 2 x1 + 1 has real solutions only (x0 - x1 = 1/2): the linear
    maximum of x0 is fractional; no whole solution exists."""
    rows = [({0: 2, 1: -2}, "=", 1)]
    assert math.isnan(extreme(rows, lower=[0, 0], upper=[5, 5], objective=0, maximize=True))
    # 2 x0 + 2 x1 = 7 + ... : 2 x0 + x1 = 7 with x1 <= 2: x0 <= 3.5 linear, 3 whole (x1 = 1)
    rows = [({0: 2, 1: 1}, "=", 7)]
    assert extreme(rows, lower=[0, 0], upper=[None, 2], objective=0, maximize=True) == 3
    assert extreme(rows, lower=[0, 0], upper=[None, 2], objective=0, maximize=False) == 3


def test_branch_and_bound_gives_up_beyond_its_node_limit(monkeypatch):
    monkeypatch.setattr("cohort.exact_lp.MAX_NODES", 0)
    with pytest.raises(TooLarge):
        extreme([({0: 2, 1: 1}, "=", 7)], lower=[0, 0], upper=[None, 2], objective=0,
                maximize=True)


def _highs(table: Table, status: dict) -> dict:
    """The ranges by SciPy's HiGHS on the full program (every count a variable)."""
    keys, bounds = disclosure._program(table, status, T)
    return dict(disclosure._highs_ranges(table, status, bounds, keys))


@st.composite
def released_tables(draw):
    """Groups with n and events (events within n) beside printed totals, as the
    Kaplan-Meier tables print them, with some cells hidden, a hidden overall
    count and a known one; then the status protect() would start from plus
    a few random complements."""
    g = draw(st.integers(1, 5))
    n = [draw(st.one_of(st.integers(0, 12), st.integers(11, 60))) for _ in range(g)]
    ev = [draw(st.integers(0, v)) for v in n]
    values = {("n", i): v for i, v in enumerate(n)} | {("e", i): v for i, v in enumerate(ev)}
    values |= {"N": sum(n), "E": sum(ev)}
    sums = [("N", [("n", i) for i in range(g)]), ("E", [("e", i) for i in range(g)])]
    at_most = [(("e", i), ("n", i)) for i in range(g)]
    hidden, known = {}, {}
    if draw(st.booleans()):  # an unprinted grand total above the table
        hidden["all"] = sum(n) + draw(st.integers(0, 30))
        values["rest"] = hidden["all"] - sum(n)
        sums.append(("all", ["N", "rest"]))
    if draw(st.booleans()):
        known["N"] = sum(n)
    status = {k: PRIMARY for k, v in values.items() if 0 < v < T}
    for k, v in values.items():
        if k not in status and v >= T and draw(st.integers(0, 3)) == 0:
            status[k] = SECONDARY
    return Table(values, sums=sums, hidden=hidden, known=known, at_most=at_most), status


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=released_tables())
def test_exact_ranges_equal_highs(case):
    table, status = case
    exact = attacker_ranges(table, status, T)
    reference = _highs(table, status)
    assert exact.keys() == reference.keys()
    for k, (lo, hi) in exact.items():
        rlo, rhi = reference[k]
        assert (math.isnan(lo) and math.isnan(rlo)) or lo == pytest.approx(rlo, abs=1e-6), k
        assert (math.isnan(hi) and math.isnan(rhi)) or hi == pytest.approx(rhi, abs=1e-6), k


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=released_tables())
def test_protect_is_the_same_with_either_solver(case):
    table, _ = case
    exact = protect(table)
    saved = disclosure.EXACT_UNKNOWNS
    disclosure.EXACT_UNKNOWNS = -1  # every program to HiGHS
    try:
        highs = protect(table)
    finally:
        disclosure.EXACT_UNKNOWNS = saved
    assert exact == highs


def test_ranges_of_contradictory_printed_counts_are_unknown():
    """Counts that do not add up (a + b is 10 and 30; d + e printed as 9, not 8)."""
    table = Table({"tot": 10, "a": 4, "b": 4, "c": 30}, sums=[("tot", ["a", "b"]),
                                                           ("c", ["a", "b"])])
    ranges = attacker_ranges(table, {"a": PRIMARY}, T)
    assert all(np.isnan(v) for v in ranges["a"])
    table = Table({"a": 4, "b": 40, "d": 4, "e": 4, "f": 9},
                  sums=[("b", ["a", "c"]), ("f", ["d", "e"])], hidden={"c": 36})
    ranges = attacker_ranges(table, {"a": PRIMARY}, T)
    assert all(np.isnan(v) for v in ranges["a"])
    assert all(np.isnan(v) for v in _highs(table, {"a": PRIMARY})["a"])
