"""Survival analysis on collapsed registry data (lifelines with case weights)."""

from cohort.survival.analysis import CIFResult, CoxResult, KMResult
from cohort.survival.cox import ModelError, ProportionalHazardsWarning
from cohort.survival.finegray import FineGrayConvergenceWarning, NoCompetingEventsWarning
from cohort.survival.km import EmptyGroupWarning
from cohort.survival.subdistribution import CompetingHazardsResult, FineGrayResult

__all__ = [
    "CIFResult",
    "CompetingHazardsResult",
    "CoxResult",
    "EmptyGroupWarning",
    "FineGrayConvergenceWarning",
    "FineGrayResult",
    "KMResult",
    "ModelError",
    "NoCompetingEventsWarning",
    "ProportionalHazardsWarning",
]
