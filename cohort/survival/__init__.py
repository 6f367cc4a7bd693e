"""Survival analysis on collapsed registry counts: exact estimators checked against R.

The names below load their module on first use (PEP 562), so an analysis
that needs no lifelines (Fine-Gray, Gray's test) does not import it.
"""

from importlib import import_module

_EXPORTS = {
    "CIFResult": "analysis",
    "CompetingHazardsResult": "subdistribution",
    "ConstantTermWarning": "cox",
    "CoxResult": "analysis",
    "CrudeResult": "relative",
    "EHRResult": "relative",
    "EmptyGroupWarning": "km",
    "ExcessFitWarning": "ehr",
    "ExcessModelError": "ehr",
    "FineGrayConvergenceWarning": "finegray",
    "FineGrayResult": "subdistribution",
    "InfiniteHazardRatioWarning": "cox",
    "KMResult": "analysis",
    "LifeTableResult": "relative",
    "ModelError": "cox",
    "NoCompetingEventsWarning": "finegray",
    "ProportionalHazardsWarning": "cox",
    "WeightError": "km",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"cohort.survival.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'cohort.survival' has no attribute {name!r}")
