"""cohort: cancer-registry survival by lymph-node burden.

>>> import cohort
>>> sorted(cohort.__all__)[:3]
['CohortError', 'LoadResult', 'Registry']
"""

from cohort import synth
from cohort.errors import CohortError
from cohort.load import LoadResult
from cohort.registry import Registry

__all__ = ["CohortError", "LoadResult", "Registry", "synth"]
