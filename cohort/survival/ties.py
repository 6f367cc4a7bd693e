"""The sums over the D tied deaths of an event time, for Efron's and Breslow's ties.

At an event time with D tied deaths, risk-set sum ``S0`` and death sum ``T0`` (of
``r = n exp(eta)``), Efron's approximation has ``den_l = S0 - c_l T0`` with
``c_l = l / D``, l = 0..D-1, and the Cox fit needs six scalars per time
(:mod:`cohort.survival.efron`)::

    A0 = sum 1/den_l       A1 = sum c_l/den_l      L = sum log den_l
    B0 = sum 1/den_l^2     B1 = sum c_l/den_l^2    B2 = sum c_l^2/den_l^2

Breslow's approximation is ``c_l = 0``: ``A0 = D/S0``, ``L = D log S0``,
``B0 = D/S0^2``, ``A1 = B1 = B2 = 0``.

Efron's six cost O(1) per time, whatever D, in forms that do not cancel:

* ``D <= 32``: summed directly, one term per tied death.
* ``x = T0/S0 <= 1/2`` (the deaths a minority of the risk set): with ``u_l = l/D``,
  ``den_l = S0 (1 - x u_l)``, so each sum is a power series in x whose coefficients
  are the power sums ``P_j(D) = sum_l u_l^j`` (Faulhaber's formula, computed once per
  fit), e.g. ``A0 S0 = sum_m x^m P_m`` and ``L = D log S0 - sum_{m>=1} x^m P_m / m``.
  Every term is positive: nothing cancels, however large the risk set (60 terms:
  ``(m + 1) x^m < 1e-16`` from m = 60 at x = 1/2).
* ``x > 1/2``: with ``a = D/x`` and ``b = a - D + 1``, the sums are differences of
  digamma, trigamma and log-gamma values, ``sum_l 1/(a-l) = psi(a+1) - psi(b)``,
  which lose at most a few digits there (a <= 2D). The same closed forms for small
  x would cancel badly (a >> D), which is why the series takes over below 1/2.

Checked against 40-digit direct sums to 1e-11, in the limit of 10^12 tied deaths, and
as fits against the direct sums and R (tests/test_survival_efron_ties.py).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TIES", "TieSums"]

#: the tie approximations of the Cox fit
TIES = ("efron", "breslow")

#: up to this many tied deaths at a time, Efron's sums run over the deaths one by one
_DIRECT_MAX_D = 32
#: x = T0/S0 up to which Efron's sums are power series in x (closed forms above)
_SERIES_MAX_X = 0.5
#: terms of the series: (m + 1) x^m < 1e-16 for m >= 60 at x = 1/2
_SERIES_TERMS = 60
#: Bernoulli numbers B_0..B_16 (B_1 = -1/2), for Faulhaber's power sums
_BERNOULLI = (1.0, -1 / 2, 1 / 6, 0.0, -1 / 30, 0.0, 1 / 42, 0.0, -1 / 30, 0.0, 5 / 66, 0.0,
              -691 / 2730, 0.0, 7 / 6, 0.0, -3617 / 510, 0.0, 43867 / 798, 0.0,
              -174611 / 330, 0.0, 854513 / 138, 0.0, -236364091 / 2730, 0.0, 8553103 / 6, 0.0,
              -23749461029 / 870, 0.0, 8615841276005 / 14322)
#: power sums are summed directly up to this D, by Faulhaber's formula above
_FAULHABER_MIN_D = 65


def _power_sums(D: np.ndarray, jmax: int) -> np.ndarray:
    """``P[j, k] = sum_{l=0}^{D_k - 1} (l / D_k)^j`` for j = 0..jmax (once per fit).

    Summed directly up to D = 64; above, Faulhaber's formula
    ``P_j = D/(j+1) sum_k binom(j+1, k) B_k D^-k``, whose terms fall like
    ``2 ((j+1) / (2 pi D))^k``: below 1e-24 by k = 30 (B_30, the last used) when
    D >= 65 and j <= 61. So the cost is O(1) per event time here too.
    """
    P = np.empty((jmax + 1, D.size))
    small = D < _FAULHABER_MIN_D
    if small.any():
        Ds = D[small].astype(np.int64)
        start = np.cumsum(Ds) - Ds
        u = (np.arange(int(Ds.sum())) - np.repeat(start, Ds)) / np.repeat(Ds, Ds).astype(float)
        power = np.ones_like(u)
        rows = np.empty((jmax + 1, Ds.size))
        for j in range(jmax + 1):
            rows[j] = np.add.reduceat(power, start)
            power *= u
        P[:, small] = rows
    large = ~small
    if large.any():
        Dl = D[large].astype(float)
        for j in range(jmax + 1):
            acc = np.zeros(Dl.size)
            binom = 1.0  # binom(j + 1, k)
            for k in range(min(j, len(_BERNOULLI) - 1) + 1):
                if _BERNOULLI[k]:
                    acc += binom * _BERNOULLI[k] * Dl ** (-k)
                binom = binom * (j + 1 - k) / (k + 1)
            P[j, large] = Dl / (j + 1) * acc
    return P


def _series_sums(S0, x, D, P):
    """The six sums from power series in x = T0/S0 (x <= 1/2); ``P`` from _power_sums."""
    m = np.arange(_SERIES_TERMS)[:, None]
    xm = x[None, :] ** m  # x^m, m = 0..M-1
    Pm, P1, P2 = P[:-2], P[1:-1], P[2:]
    A0 = (xm * Pm).sum(0) / S0
    A1 = (xm * P1).sum(0) / S0
    L = D * np.log(S0) - (xm[1:] * Pm[1:] / m[1:]).sum(0)
    xm1 = (m + 1) * xm
    S0sq = S0 * S0
    B0 = (xm1 * Pm).sum(0) / S0sq
    B1 = (xm1 * P1).sum(0) / S0sq
    B2 = (xm1 * P2).sum(0) / S0sq
    return L, A0, A1, B0, B1, B2


def _closed_sums(S0, T0, D):
    """The six sums from digamma, trigamma and log-gamma differences (T0/S0 > 1/2).

    With ``h = T0/D``, ``den_l = h (a - l)`` for ``a = S0/h``; the D terms run over
    ``a, a-1, .., b`` with ``b = a - D + 1 = (S0 - T0)/h + 1 >= 1``.
    """
    from scipy.special import digamma, gammaln, polygamma

    h = T0 / D
    a = S0 / h
    b = (S0 - T0) / h + 1
    F1 = digamma(a + 1) - digamma(b)  # sum 1/(a - l)
    F2 = polygamma(1, b) - polygamma(1, a + 1)  # sum 1/(a - l)^2
    G = gammaln(a + 1) - gammaln(b)  # sum log(a - l)
    L = D * np.log(h) + G
    A0 = F1 / h
    A1 = (a * F1 - D) / T0  # sum l/(a-l) = a F1 - D
    B0 = F2 / (h * h)
    B1 = (a * F2 - F1) / (D * h * h)  # sum l/(a-l)^2 = a F2 - F1
    B2 = (a * a * F2 - 2 * a * F1 + D) / (T0 * T0)  # sum l^2/(a-l)^2
    return L, A0, A1, B0, B1, B2


class TieSums:
    """``L`` (and ``A0, A1, B0, B1, B2``) per event time, for the deaths ``D`` of each.

    Built once per fit (which form each time takes, the power sums); called at every
    Newton step with the risk-set and death sums ``S0, T0`` of the event times.
    """

    def __init__(self, D: np.ndarray, ties: str = "efron"):
        self.D = D
        self.ties = ties
        if ties == "breslow":
            return
        self.small = np.flatnonzero(D <= _DIRECT_MAX_D)
        self.large = np.flatnonzero(D > _DIRECT_MAX_D)
        # direct sums: one entry per tied death of the small-D times, contiguous per time
        Ds = D[self.small].astype(np.int64)
        self.estart = np.cumsum(Ds) - Ds
        first = np.repeat(self.estart, Ds)
        self.c = (np.arange(int(Ds.sum())) - first) / np.repeat(Ds, Ds).astype(float)
        self._buf = None
        self.power_sums = _power_sums(D[self.large], _SERIES_TERMS + 1)

    def _buffer(self) -> np.ndarray:
        if self._buf is None:
            self._buf = np.empty((5, self.c.size))
        return self._buf

    def __call__(self, S0: np.ndarray, T0: np.ndarray, derivatives: bool = True):
        """``L``, or ``(L, A0, A1, B0, B1, B2)``, one value per event time."""
        D = self.D
        if self.ties == "breslow":
            L = D * np.log(S0)
            if not derivatives:
                return L
            zero = np.zeros_like(S0)
            return L, D / S0, zero, D / (S0 * S0), zero, zero
        out = np.empty((6, D.size))
        sm, lg = self.small, self.large
        if sm.size:
            Ds = D[sm].astype(np.int64)
            den = np.repeat(S0[sm], Ds) - self.c * np.repeat(T0[sm], Ds)
            if not derivatives:
                out[0, sm] = np.add.reduceat(np.log(den), self.estart)
            else:
                # rows: 1/den, c/den, 1/den^2, c/den^2, c^2/den^2 (buffer reused)
                buf = self._buffer()
                inv, ci = buf[0], buf[1]
                np.divide(1.0, den, out=inv)
                np.multiply(self.c, inv, out=ci)
                np.multiply(inv, inv, out=buf[2])
                np.multiply(ci, inv, out=buf[3])
                np.multiply(ci, ci, out=buf[4])
                out[0, sm] = np.add.reduceat(np.log(den), self.estart)
                out[1:, sm] = np.add.reduceat(buf, self.estart, axis=1)
        if lg.size:
            S0l, T0l, Dl = S0[lg], T0[lg], D[lg]
            x = np.minimum(T0l / S0l, 1.0)
            ser = x <= _SERIES_MAX_X
            if ser.any():
                out[:, lg[ser]] = _series_sums(S0l[ser], x[ser], Dl[ser],
                                               self.power_sums[:, ser])
            if not ser.all():
                c = ~ser
                out[:, lg[c]] = _closed_sums(S0l[c], np.minimum(T0l[c], S0l[c]), Dl[c])
        if not derivatives:
            return out[0]
        L, A0, B0 = out[0], out[1], out[3]
        A1, B1, B2 = out[2], out[4], out[5]
        return L, A0, A1, B0, B1, B2
