"""cohort: cancer-registry survival by lymph-node burden.

``LoadResult`` and ``synth`` load their modules on first use (PEP 562): an
analysis does not import the readers, and nothing imports numpy for
``cohort --help``.

>>> import cohort
>>> sorted(cohort.__all__)[:3]
['CohortError', 'LoadResult', 'Registry']
"""

from importlib import import_module

from cohort.errors import CohortError
from cohort.registry import Registry

__all__ = ["CohortError", "LoadResult", "Registry", "synth"]


def __getattr__(name: str):
    if name == "synth":
        return import_module("cohort.synth")
    if name == "LoadResult":
        return import_module("cohort.load").LoadResult
    raise AttributeError(f"module 'cohort' has no attribute {name!r}")
