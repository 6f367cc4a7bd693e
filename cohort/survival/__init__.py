"""Survival analysis on collapsed registry counts: exact estimators checked against R."""

from cohort.survival.analysis import CIFResult, CoxResult, KMResult
from cohort.survival.cox import (
    ConstantTermWarning,
    InfiniteHazardRatioWarning,
    ModelError,
    ProportionalHazardsWarning,
)
from cohort.survival.km import EmptyGroupWarning, WeightError

__all__ = [
    "CIFResult",
    "ConstantTermWarning",
    "CoxResult",
    "EmptyGroupWarning",
    "InfiniteHazardRatioWarning",
    "KMResult",
    "ModelError",
    "ProportionalHazardsWarning",
    "WeightError",
]
