"""Assembling the PDF report: one query pass over a temp table, then pages.

Memory: every analysis collapses its records in DuckDB (to (time, event,
covariate pattern, count) cells, or group counts for Table 1) before Python
sees them, so the frames in Python follow the number of distinct cells, not
of records. The one record-level object is the report's temporary table,
which lives in DuckDB under a memory cap (:data:`MEMORY_LIMIT`): beyond it
DuckDB spills it to a private temporary folder, so the report's peak memory
does not grow with the registry.
"""

from __future__ import annotations

import contextlib
import tempfile
import warnings
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from cohort.errors import QueryError  # noqa: E402
from cohort.grouping import node_grouping  # noqa: E402
from cohort.report import draw  # noqa: E402
from cohort.report.cif_page import cif_page  # noqa: E402
from cohort.report.common import count_text, pkg_version, site_cohort, site_label  # noqa: E402
from cohort.report.competing_page import competing_page  # noqa: E402
from cohort.report.cox_page import cox_page  # noqa: E402
from cohort.report.ehr_page import ehr_page  # noqa: E402
from cohort.report.front import attrition_page, cover_page  # noqa: E402
from cohort.report.km_page import km_page, skipped_page  # noqa: E402
from cohort.report.net_page import net_page  # noqa: E402
from cohort.report.spec import ReportSpec  # noqa: E402
from cohort.report.table1_page import table1_page  # noqa: E402
from cohort.survival.analysis import CauseNotRecordedError  # noqa: E402

REPORT_COLUMNS = (
    "load_id", "record_no", "site_group", "node_burden", "node_status", "surv_months", "event",
    "event_cancer", "cause", "exclusion_reason", "exclusion_step", "age_at_dx", "sex",
    "dx_year", "dx_year_group", "nodes_examined", "nodes_positive", "lnr", "ene",
    "summary_stage_2018", "adequate_exam", "n_rule", "n_stage_group", "n_stage_edition",
    "node_count_group", "t_stage", "age_band", "race_group", "grade_group", "subtype",
    "surgery", "radiation", "chemotherapy", "neoadjuvant", "exam_adequacy",
)

#: DuckDB's memory while the report runs: the report's temporary table of the
#: cohort's records spills beyond it (a 10-million-record registry's table is
#: 1.5 GB in memory; uncapped, a 50-million-record report peaked at 13 GB).
MEMORY_LIMIT = "1GB"


@dataclass
class ReportResult:
    path: Path
    pages: int
    sections: list[str]
    figures: list[Path] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # what was printed, for checking
    skipped: dict = field(default_factory=dict)  # site groups left out, and why


class _Pages:
    def __init__(self, pdf: PdfPages, spec: ReportSpec, figures_dir: Path | None):
        self.pdf, self.spec, self.figures_dir = pdf, spec, figures_dir
        self.count = 0
        self.figures: list[Path] = []
        self.tables: list[Path] = []

    def add(self, fig, name: str) -> None:
        self.count += 1
        draw.footer(fig, f"{self.spec.title} · counts below {self.spec.threshold} shown as "
                    f"<{self.spec.threshold}", f"page {self.count}")
        self.pdf.savefig(fig)
        if self.figures_dir is not None:
            for ext in ("png", "svg"):
                out = self.figures_dir / f"{self.count:02d}_{name}.{ext}"
                fig.savefig(out, dpi=150, metadata={"Date": None} if ext == "svg" else None)
                self.figures.append(out)
        plt.close(fig)


def write_report(registry, spec: ReportSpec, output: str | Path, *,
                 figures_dir: str | Path | None = None,
                 memory_limit: str = MEMORY_LIMIT) -> ReportResult:
    """Render the report of ``spec`` over ``registry`` to one PDF.

    ``memory_limit`` caps DuckDB's memory (``"1GB"``, ``"800MB"``): the
    cohort's records beyond it spill to a temporary folder, removed after.
    Called inside a ``registry.session()`` of the caller's, the report runs
    in that session, under its memory settings.
    """
    output = Path(output)
    figures_dir = Path(figures_dir) if figures_dir else None
    if figures_dir:
        figures_dir.mkdir(parents=True, exist_ok=True)
    result = ReportResult(output, 0, [])
    with tempfile.TemporaryDirectory(prefix="cohort-report-") as spill, \
            registry.session(memory_limit=memory_limit, temp_directory=spill) as s:
        base = s.cohort(spec.cohort)
        cols = ", ".join(REPORT_COLUMNS)
        # sorted by site so every per-site query reads only its own row groups
        s.sql(f"create or replace temp table __report as select {cols} from ({base.sql}) "
              "order by site_group", base.params)
        try:
            # every file, and how many of its records are in force (a newer
            # submission loaded with --supersede replaces older records)
            loads = s.sql("select l.file_name, l.sha256, l.rows_read, l.rows_loaded, "
                          "l.rows_rejected, l.loaded_at, s.in_force from loads as l "
                          "join load_summary as s using (load_id) order by load_id")
            data_date = loads["loaded_at"].max() if loads.height else None
            metadata = {
                "Title": spec.title, "Author": "cohort", "Subject": f"cohort: {spec.cohort}",
                "Creator": f"cohort {pkg_version('cohort')}",
                "CreationDate": as_utc(data_date), "ModDate": as_utc(data_date),
            }
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # caveats are printed on the pages instead
                with PdfPages(output, metadata=metadata) as pdf:
                    pages = _Pages(pdf, spec, figures_dir)
                    cover_page(pages, s, spec, base, loads, data_date)
                    attrition_page(pages, s, spec, base)
                    sites = _sites(s, spec)
                    for site in sites:
                        site_spec = _site_spec(s, spec, site, result)
                        if site_spec is None:
                            continue
                        result.sections.append(site or "all")
                        _site_section(pages, s, site_spec, site, result, figures_dir)
                        if spec.net_survival.enabled:
                            net_page(pages, s, site_spec, site, result)
                    if result.skipped:
                        skipped_page(pages, result.skipped)
            result.pages = pages.count
            result.figures = pages.figures
            result.tables = pages.tables
        finally:  # in a session of the caller's, no copy of the records stays
            with contextlib.suppress(QueryError):  # never hide why the report stopped
                s.sql("drop table if exists __report")
    return result


def as_utc(ts) -> datetime:
    if ts is None:
        return datetime(2000, 1, 1, tzinfo=UTC)
    return ts.replace(tzinfo=UTC)


def _sites(s, spec) -> list[str | None]:
    if not spec.per_site:
        return [None]
    present = s.sql("select distinct site_group::varchar as g, site_group from __report "
                    "where exclusion_reason is null order by site_group")["g"].to_list()
    return [x for x in present if not spec.sites or x in spec.sites]


def _site_spec(s, spec, site, result):
    """The specification for one site section: the node grouping falls back
    from node_burden to the staged N where counts cannot give the N
    (:func:`cohort.grouping.node_grouping`); None when no case has any node
    category (the report never prints an all-NX section)."""
    grouping = node_grouping(site_cohort(s, site), requested=spec.group)
    values = result.values.setdefault(site or "all", {})
    if grouping.column is None:
        result.skipped[site or "all"] = grouping.note
        return None
    values["group"] = grouping.column
    values["group_note"] = grouping.note
    if grouping.column == spec.group:
        return spec
    terms = [grouping.column if t == spec.group else t for t in spec.cox.terms]
    return replace(spec, group=grouping.column, cox=replace(spec.cox, terms=terms))


def _site_section(pages, s, spec, site, result, figures_dir):
    label = site_label(site)
    params = [site] if site else None
    cohort = site_cohort(s, site)
    n = cohort.size
    values = result.values.setdefault(site or "all", {})
    values["n"] = n
    if n < max(spec.min_cases, spec.threshold):
        fig = draw.page(f"{label.capitalize()}", "")
        draw.note(fig, 0.85, f"{count_text(n, spec.threshold)} eligible cases: fewer than "
                  f"{max(spec.min_cases, spec.threshold)}, so no survival analysis is shown "
                  "for this site group.", size=10)
        pages.add(fig, f"{site}_too_few")
        return
    try:
        km = cohort.km(by=spec.group, event=spec.event, times=spec.times, horizon=spec.horizon,
                       convention=spec.time_convention)
    except CauseNotRecordedError as exc:
        fig = draw.page(f"{label.capitalize()}: Kaplan-Meier survival", "")
        draw.note(fig, 0.85, f"No cause-specific survival for this site group: {exc}.", size=10)
        pages.add(fig, f"{site}_km")
    else:
        km_page(pages, spec, label, site, km, values, note=values.get("group_note"))
    table1_page(pages, s, spec, label, site, params)
    cox_page(pages, s, spec, label, site, params, values)
    if spec.excess_hazard.enabled:
        ehr_page(pages, s, spec, label, site, params, values)
    cif_page(pages, s, spec, label, site, values)
    if values.get("cause_known"):
        competing_page(pages, s, spec, label, site, values)
