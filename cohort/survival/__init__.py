"""Survival analysis on collapsed registry counts: exact estimators checked against R."""

from cohort.survival.analysis import CIFResult, CoxResult, KMResult
from cohort.survival.cox import (
    ConstantTermWarning,
    InfiniteHazardRatioWarning,
    ModelError,
    ProportionalHazardsWarning,
)
from cohort.survival.ehr import ExcessFitWarning, ExcessModelError
from cohort.survival.km import EmptyGroupWarning, WeightError
from cohort.survival.relative import CrudeResult, EHRResult, LifeTableResult

__all__ = [
    "CIFResult",
    "ConstantTermWarning",
    "CoxResult",
    "CrudeResult",
    "EHRResult",
    "EmptyGroupWarning",
    "ExcessFitWarning",
    "ExcessModelError",
    "InfiniteHazardRatioWarning",
    "KMResult",
    "LifeTableResult",
    "ModelError",
    "ProportionalHazardsWarning",
    "WeightError",
]
