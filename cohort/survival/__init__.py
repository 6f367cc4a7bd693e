"""Survival analysis on collapsed registry data (lifelines with case weights)."""

from cohort.survival.analysis import CIFResult, CoxResult, KMResult
from cohort.survival.cox import ModelError, ProportionalHazardsWarning
from cohort.survival.km import EmptyGroupWarning

__all__ = [
    "CIFResult",
    "CoxResult",
    "EmptyGroupWarning",
    "KMResult",
    "ModelError",
    "ProportionalHazardsWarning",
]
