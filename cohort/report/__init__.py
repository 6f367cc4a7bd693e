"""PDF survival reports rendered from a specification (reports/*.toml)."""

from cohort.report.build import ReportResult, write_report
from cohort.report.spec import ReportSpec, SpecError, load_spec

__all__ = ["ReportResult", "ReportSpec", "SpecError", "load_spec", "write_report"]
