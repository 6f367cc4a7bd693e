"""Survival analysis on collapsed registry data.

The names below load their module on first use (PEP 562), so an analysis
that needs no lifelines (Fine-Gray, Gray's test) does not import it.
"""

from importlib import import_module

_EXPORTS = {
    "CIFResult": "analysis",
    "CompetingHazardsResult": "subdistribution",
    "CoxResult": "analysis",
    "EmptyGroupWarning": "km",
    "FineGrayConvergenceWarning": "finegray",
    "FineGrayResult": "subdistribution",
    "KMResult": "analysis",
    "ModelError": "cox",
    "NoCompetingEventsWarning": "finegray",
    "ProportionalHazardsWarning": "cox",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"cohort.survival.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'cohort.survival' has no attribute {name!r}")
