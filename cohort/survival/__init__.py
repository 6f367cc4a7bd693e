"""Survival analysis on collapsed registry counts: exact estimators checked against R.

The names below load their module on first use (PEP 562), so a command
imports only the estimators it runs.
"""

from importlib import import_module

_EXPORTS = {
    "CIFResult": "analysis",
    "ConstantTermWarning": "cox",
    "CoxResult": "analysis",
    "EmptyGroupWarning": "km",
    "InfiniteHazardRatioWarning": "cox",
    "KMResult": "analysis",
    "ModelError": "cox",
    "ProportionalHazardsWarning": "cox",
    "WeightError": "km",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"cohort.survival.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'cohort.survival' has no attribute {name!r}")
