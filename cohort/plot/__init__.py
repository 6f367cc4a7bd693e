"""Figures of survival results, for papers and notebooks.

Each result draws itself: ``km.plot()``, ``cif.plot()``,
``net.plot()``, ``cox.plot()`` return a matplotlib ``Figure``, which a
notebook shows as the cell's value and a script saves with
``fig.savefig("km.pdf")`` (or ``.png``/``.svg``) at the size a journal
prints: ``size="single"`` (89 mm wide, the default) or ``"double"``
(183 mm). The PDF report draws its pages with these same functions.

This package imports matplotlib; ``import cohort`` does not import it (the
first ``.plot()`` does).

>>> from cohort.plot import SIZES
>>> SIZES["single"], SIZES["double"]
(3.5, 7.2)
"""

from cohort.plot.forest import forest
from cohort.plot.style import COLORS, SIZES, figure_data
from cohort.plot.survival import cif, km, lifetable, net_survival, predicted

__all__ = ["COLORS", "SIZES", "cif", "figure_data", "forest", "km", "lifetable", "net_survival",
           "predicted"]
