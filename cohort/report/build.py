"""Assembling the PDF report: one query pass over a temp table, then pages."""

from __future__ import annotations

import platform
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

from cohort.disclosure import suppress  # noqa: E402
from cohort.report import draw  # noqa: E402
from cohort.report.spec import ReportSpec  # noqa: E402
from cohort.survival.compete import cumulative_incidence  # noqa: E402
from cohort.survival.analysis import CauseNotRecordedError  # noqa: E402
from cohort.survival.cox import ModelError  # noqa: E402

REPORT_COLUMNS = (
    "load_id", "record_no", "site_group", "node_burden", "node_status", "surv_months", "event",
    "event_cancer", "cause", "exclusion_reason", "exclusion_step", "age_at_dx", "sex",
    "dx_year", "dx_year_group", "nodes_examined", "nodes_positive", "lnr", "ene",
    "summary_stage_2018", "adequate_exam",
)


@dataclass
class ReportResult:
    path: Path
    pages: int
    sections: list[str]
    figures: list[Path] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # what was printed, for checking


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


def _fmt(x, digits=3) -> str:
    return "NA" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def _count(n: int, threshold: int) -> str:
    return f"<{threshold}" if 0 < n < threshold else f"{n:,}"


def write_report(registry, spec: ReportSpec, output: str | Path, *,
                 figures_dir: str | Path | None = None) -> ReportResult:
    """Render the report of ``spec`` over ``registry`` to one PDF."""
    output = Path(output)
    figures_dir = Path(figures_dir) if figures_dir else None
    if figures_dir:
        figures_dir.mkdir(parents=True, exist_ok=True)
    result = ReportResult(output, 0, [])
    with registry.session() as s:
        base = s.cohort(spec.cohort)
        cols = ", ".join(REPORT_COLUMNS)
        # sorted by site so every per-site query reads only its own row groups
        s.sql(f"create temp table __report as select {cols} from ({base.sql}) "
              "order by site_group", base.params)
        loads = s.sql("select file_name, sha256, rows_read, rows_loaded, rows_rejected, "
                      "loaded_at from loads order by load_id")
        data_date = loads["loaded_at"].max() if loads.height else None
        metadata = {
            "Title": spec.title, "Author": "cohort", "Subject": f"cohort: {spec.cohort}",
            "Creator": f"cohort {_v('cohort')}",
            "CreationDate": _as_utc(data_date), "ModDate": _as_utc(data_date),
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # caveats are printed on the pages instead
            with PdfPages(output, metadata=metadata) as pdf:
                pages = _Pages(pdf, spec, figures_dir)
                _cover(pages, s, spec, base, loads, data_date)
                _attrition(pages, s, spec)
                sites = _sites(s, spec)
                for site in sites:
                    result.sections.append(site or "all")
                    _site_section(pages, s, spec, site, result, figures_dir)
                    if spec.net_survival.enabled:
                        _net_page(pages, s, spec, site, result)
        result.pages = pages.count
        result.figures = pages.figures
        result.tables = pages.tables
    return result


def _site_label(site: str | None) -> str:
    return {None: "all sites", "head_neck": "head and neck"}.get(site, str(site).replace("_", " "))


def _v(pkg: str) -> str:
    try:
        return version(pkg)
    except Exception:  # noqa: BLE001 - a missing distribution is shown as unknown
        return "unknown"


def _as_utc(ts) -> datetime:
    if ts is None:
        return datetime(2000, 1, 1, tzinfo=timezone.utc)
    return ts.replace(tzinfo=timezone.utc)


def _cover(pages, s, spec, base, loads, data_date):
    fig = draw.page(spec.title, "Survival by lymph-node burden from the registry database "
                    f"{s.path.name}")
    lines = [
        ("Cohort (SQL)", base.sql),
        ("Grouping", spec.group),
        ("Event", "death from any cause" if spec.event == "event"
         else "death from this cancer (SEER cause-specific classification)"),
        ("Times reported", ", ".join(f"{t} months" for t in spec.times)),
        ("Date of the data", f"loaded {data_date:%Y-%m-%d %H:%M}" if data_date else "no loads"),
        ("Specification", Path(spec.source).name),
        ("Disclosure control", f"every count below {spec.threshold} is printed as "
         f"<{spec.threshold}, in tables and in the numbers at risk; groups with fewer than "
         f"{spec.threshold} cases are drawn without curves or estimates, and percentages of "
         "suppressed counts are not shown"),
        ("Methods", "Kaplan-Meier with 95% log-log CIs (R conf.type='log-log'); log-rank and "
         "log-rank for trend; Cox proportional hazards with Efron ties, fitted exactly to "
         "collapsed counts; Aalen-Johansen cumulative incidence; net survival (Pohar Perme)"),
        ("Software", f"cohort {_v('cohort')}, duckdb {_v('duckdb')}, polars {_v('polars')}, "
         f"lifelines {_v('lifelines')}, matplotlib {_v('matplotlib')}, numpy {_v('numpy')}, "
         f"pyarrow {_v('pyarrow')}, Python {platform.python_version()}"),
    ]
    y = 0.88
    for label, text in lines:
        fig.text(0.07, y, label, fontsize=8.5, fontweight="bold", va="top")
        t = fig.text(0.30, y, text, fontsize=8, va="top", wrap=True)
        t._get_wrap_line_width = lambda: 0.63 * fig.get_figwidth() * fig.dpi
        y -= 0.028 * (1 + len(text) // 95)
    y -= 0.01
    fig.text(0.07, y, "Extract files", fontsize=8.5, fontweight="bold", va="top")
    ax = fig.add_axes([0.07, max(0.08, y - 0.03 - 0.022 * (loads.height + 1)), 0.86,
                       0.022 * (loads.height + 1)])
    shown = loads.select(
        pl.col("file_name").alias("file"),
        pl.col("sha256").alias("SHA-256"),
        pl.col("rows_read").alias("read"),
        pl.col("rows_loaded").alias("loaded"),
        pl.col("rows_rejected").alias("rejected"),
    )
    draw.table(ax, suppress(shown, ["read", "loaded", "rejected"], threshold=pages.spec.threshold),
               fontsize=6, col_widths=[0.2, 0.56, 0.08, 0.08, 0.08])
    pages.add(fig, "cover")


def _attrition(pages, s, spec):
    att = s.sql(
        "with c as (select exclusion_step, exclusion_reason, count(*) as n from __report "
        "group by all) select step, reason, coalesce(n, 0) as n from exclusion_rules "
        "left join c on c.exclusion_step = exclusion_rules.step order by step"
    )
    total = int(s.sql("select count(*) as n from __report")["n"].item())
    analysed = int(s.sql("select count(*) as n from __report where exclusion_reason is null")[
        "n"].item())
    fig = draw.page("Cohort attrition", "Records in the cohort definition, each exclusion in the "
                    "order applied, records analysed (records in = analysed + excluded)")
    t = spec.threshold
    rows = [{"step": "records in the cohort", "records": _count(total, t), "remaining": ""}]
    remaining = total
    steps = [("records in", f"records in the cohort\nn = {_count(total, t)}")]
    for r in att.iter_rows(named=True):
        remaining -= r["n"]
        rows.append({"step": f"excluded: {r['reason']}", "records": _count(r["n"], t),
                     "remaining": _count(remaining, t)})
        steps.append((f"excluded: {r['reason']}", f"n = {_count(r['n'], t)}"))
    rows.append({"step": "analysed", "records": _count(analysed, t), "remaining": ""})
    draw.table(fig.add_axes([0.07, 0.62, 0.86, 0.26]), pl.DataFrame(rows),
               col_widths=[0.6, 0.2, 0.2])
    draw.flow(fig.add_axes([0.07, 0.08, 0.86, 0.5]), steps, f"analysed\nn = {_count(analysed, t)}")
    pages.add(fig, "attrition")


def _sites(s, spec) -> list[str | None]:
    if not spec.per_site:
        return [None]
    present = s.sql("select distinct site_group::varchar as g, site_group from __report "
                    "where exclusion_reason is null order by site_group")["g"].to_list()
    return [x for x in present if not spec.sites or x in spec.sites]


def _site_cohort(s, site: str | None):
    """The report's cohort restricted to one site group (None: all of it)."""
    if site is None:
        return s.cohort("select * from __report")
    return s.cohort("select * from __report where site_group = ?", params=[site])


def _ticks(end: int) -> list[int]:
    """Time-axis ticks: every 12 months, or quarters of a short axis."""
    return list(range(0, end + 1, 12 if end >= 24 else max(1, end // 4)))


def _site_section(pages, s, spec, site, result, figures_dir):
    label = _site_label(site)
    params = [site] if site else None
    cohort = _site_cohort(s, site)
    n = cohort.size
    values = result.values.setdefault(site or "all", {"n": n})
    if n < max(spec.min_cases, spec.threshold):
        fig = draw.page(f"{label.capitalize()}", "")
        draw.note(fig, 0.85, f"{_count(n, spec.threshold)} eligible cases: fewer than "
                  f"{max(spec.min_cases, spec.threshold)}, so no survival analysis is shown "
                  "for this site group.", size=10)
        pages.add(fig, f"{site}_too_few")
        return
    try:
        km = cohort.km(by=spec.group, event=spec.event, times=spec.times, horizon=spec.horizon)
    except CauseNotRecordedError as exc:
        fig = draw.page(f"{label.capitalize()}: Kaplan-Meier survival", "")
        draw.note(fig, 0.85, f"No cause-specific survival for this site group: {exc}.", size=10)
        pages.add(fig, f"{site}_km")
    else:
        _km_page(pages, spec, label, site, km, values)
    _table1_page(pages, s, spec, label, site, params)
    _cox_page(pages, s, spec, label, site, params, values)
    _cif_page(pages, s, spec, label, site, values)


def _km_page(pages, spec, label, site, km, values):
    t = spec.threshold
    end = max(spec.times)
    ticks = _ticks(end)
    curves, at_risk, hidden = {}, {}, []
    for g, est in km.km_.groups_.items():
        if est.n < t:
            hidden.append(g)
            continue
        f = est.fitter
        sf = f.survival_function_.iloc[:, 0]
        ci = f.confidence_interval_survival_function_
        keep = sf.index.to_numpy() <= end
        times = sf.index.to_numpy()[keep]
        censored = est.times[(est.n_at_time - est.d_at_time) > 0]
        censored = censored[censored <= end]
        curves[g] = (times, sf.to_numpy()[keep], ci.iloc[:, 0].to_numpy()[keep],
                     ci.iloc[:, 1].to_numpy()[keep], censored,
                     f.survival_function_at_times(censored).to_numpy() if len(censored)
                     else np.array([]))
        at_risk[g] = [_count(est.at_risk(x), t) for x in ticks]
        values.setdefault("at_risk", {})[g] = dict(zip(ticks, at_risk[g], strict=True))
    tests = km.tests_.rows_by_key("test", named=True, unique=True)
    subtitle = (f"{'Overall' if spec.event == 'event' else 'Cause-specific'} survival by "
                f"{spec.group}; {km.records:,} cases" if km.records >= t else "")
    fig = draw.page(f"{label.capitalize()}: Kaplan-Meier survival", subtitle)
    ax = fig.add_axes([0.14, 0.5, 0.79, 0.39])
    risk = fig.add_axes([0.14, 0.335, 0.79, 0.115])
    if curves:
        draw.km_curves(ax, risk, curves, at_risk, ticks, xlabel="Months since diagnosis")
    lr = tests.get("log-rank")
    tr = tests.get("log-rank for trend")
    ptxt = []
    if lr:
        ptxt.append(f"log-rank chi2 = {lr['chisq']:.2f}, df = {lr['df']}, {_pv(lr['p'])}")
    if tr:
        ptxt.append(f"trend chi2 = {tr['chisq']:.2f}, df = 1, {_pv(tr['p'])}")
    if ptxt:
        ax.text(0.99, 0.02, "\n".join(ptxt), transform=ax.transAxes, ha="right", va="bottom",
                fontsize=7.5, bbox=dict(fc="white", ec="#cccccc", lw=0.5))
    summary = km.summary(suppress_below=t)
    if hidden:
        summary = summary.filter(~pl.col("group").is_in(hidden))
    if pages.figures_dir is not None:
        out = pages.figures_dir / f"{site or 'all'}_survival.csv"
        summary.write_csv(out)
        pages.tables.append(out)
    widths = [0.1, 0.07, 0.07, 0.17] + [0.59 / max(1, len(spec.times))] * len(spec.times)
    draw.table(fig.add_axes([0.07, 0.1, 0.86, min(0.2, 0.025 * (summary.height + 1))]),
               summary, fontsize=6.5, col_widths=widths)
    notes = ["Shaded: 95% CI (log-log). |: censored. Number at risk: alive and followed just "
             "before each time."]
    if hidden:
        notes.append(f"Groups with fewer than {t} cases not drawn: {', '.join(hidden)}.")
    if km.unknown_event:
        notes.append(f"{km.unknown_event:,} eligible cases with unknown {spec.event} left out.")
    draw.note(fig, 0.085, " ".join(notes))
    values["medians"] = {r["group"]: r["median"] for r in km.medians_.iter_rows(named=True)}
    values["survival"] = {
        (r["group"], r["time"]): r["survival"] for r in km.estimates_.iter_rows(named=True)
    }
    values["group_n"] = {g: e.n for g, e in km.km_.groups_.items()}
    values["hidden"] = hidden
    pages.add(fig, f"{site}_km")


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _pv(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _table1_page(pages, s, spec, label, site, params):
    t = spec.threshold
    g = spec.group
    where = "exclusion_reason is null" + (" and site_group = ?" if site else "")
    df = s.sql(
        f"select {g}::varchar as grp, {g} as ord, count(*) as n, "
        "median(age_at_dx) as age_med, quantile_cont(age_at_dx, 0.25) as age_q1, "
        "quantile_cont(age_at_dx, 0.75) as age_q3, "
        "count(*) filter (where sex = '2') as female, "
        "count(*) filter (where sex = '1') as male, "
        "min(dx_year) as y0, max(dx_year) as y1, "
        "median(nodes_examined) as ex_med, quantile_cont(nodes_examined, 0.25) as ex_q1, "
        "quantile_cont(nodes_examined, 0.75) as ex_q3, count(nodes_examined) as ex_n, "
        "median(lnr) as lnr_med, quantile_cont(lnr, 0.25) as lnr_q1, "
        "quantile_cont(lnr, 0.75) as lnr_q3, count(lnr) as lnr_n, "
        "count(*) filter (where ene = 'present') as ene_present, "
        "count(*) filter (where ene = 'absent') as ene_absent, "
        "count(*) filter (where ene in ('present', 'absent')) as ene_known, "
        "count(summary_stage_2018) as stage_n, "
        "count(*) filter (where adequate_exam) as adequate "
        f"from __report where {where} group by all order by ord", params,
    )

    def pct(k: int, n: int) -> str:
        if 0 < k < t:
            return f"<{t}"
        return f"{k:,} ({100 * k / n:.0f}%)" if n else "0"

    def iqr(m, a, b, d=0) -> str:
        return "NA" if m is None else f"{m:.{d}f} ({a:.{d}f}-{b:.{d}f})"

    rows = {
        "cases, n": lambda r: _count(r["n"], t),
        "age, median (IQR)": lambda r: iqr(r["age_med"], r["age_q1"], r["age_q3"]),
        "female, n (%)": lambda r: pct(r["female"], r["n"]),
        "male, n (%)": lambda r: pct(r["male"], r["n"]),
        "years of diagnosis": lambda r: f"{r['y0']}-{r['y1']}" if r["y0"] else "NA",
        "nodes examined known, n (%)": lambda r: pct(r["ex_n"], r["n"]),
        "nodes examined, median (IQR)": lambda r: iqr(r["ex_med"], r["ex_q1"], r["ex_q3"]),
        "adequate examination, n (%)": lambda r: pct(r["adequate"], r["n"]),
        "LNR, median (IQR)": lambda r: iqr(r["lnr_med"], r["lnr_q1"], r["lnr_q3"], 2),
        "ENE present, n (% of known)": lambda r: pct(r["ene_present"], r["ene_known"]),
        "ENE absent, n (% of known)": lambda r: pct(r["ene_absent"], r["ene_known"]),
        "summary stage 2018 recorded, n (%)": lambda r: pct(r["stage_n"], r["n"]),
    }
    groups = [r for r in df.iter_rows(named=True)]
    table = {"characteristic": list(rows)}
    for r in groups:
        small = r["n"] < t
        table[r["grp"]] = [
            (f(r) if not small or name == "cases, n" else "—") for name, f in rows.items()
        ]
    fig = draw.page(f"{label.capitalize()}: characteristics by {g}",
                    "Table 1. Eligible cases; IQR = interquartile range; LNR = lymph node "
                    "ratio; ENE = extranodal extension")
    tab = pl.DataFrame(table)
    widths = [0.28] + [0.72 / max(1, len(groups))] * len(groups)
    draw.table(fig.add_axes([0.07, 0.88 - 0.035 * (len(rows) + 1), 0.86,
                             0.035 * (len(rows) + 1)]), tab,
               fontsize=6.5 if len(groups) <= 6 else 5.5, col_widths=widths)
    draw.note(fig, 0.88 - 0.035 * (len(rows) + 1) - 0.02,
              f"Counts below {t} are shown as <{t} and their percentages are withheld; columns of "
              f"groups with fewer than {t} cases show only the (suppressed) count.")
    pages.add(fig, f"{site}_table1")


def _cox_page(pages, s, spec, label, site, params, values):
    cx = spec.cox
    # groups too small to publish are left out of the models as well as the curves
    small = [g for g, n in values.get("group_n", {}).items() if n < spec.threshold]
    excl = list(dict.fromkeys([*cx.exclude_levels, *small]))
    parts = ["select * from __report where true"]
    p = list(params or [])
    if site:
        parts.append("and site_group = ?")
    if excl:
        parts.append(f"and {spec.group}::varchar not in ({', '.join('?' for _ in excl)})")
        p += excl
    cohort = s.cohort(" ".join(parts), params=p or None)
    fig = draw.page(f"{label.capitalize()}: Cox proportional hazards",
                    f"Hazard ratios for {'death from any cause' if spec.event == 'event' else 'death from this cancer'}"
                    + (f"; groups left out: {', '.join(excl)}" if excl else ""))
    try:
        res = cohort.cox(cx.terms, strata=cx.strata, event=spec.event)
    except (ModelError, CauseNotRecordedError, ValueError) as exc:
        draw.note(fig, 0.85, f"No Cox model for this site group: {exc}", size=10)
        pages.add(fig, f"{site}_cox")
        return
    t = res.table_
    rows = [{"label": f"{r['term']} {r['level'] or ''}".strip(), "hr": r["hr_adjusted"],
             "lower": r["lower_adjusted"], "upper": r["upper_adjusted"],
             "reference": r["reference"]} for r in t.iter_rows(named=True)]
    draw.forest(fig.add_axes([0.25, 0.66, 0.68, 0.23]), rows)
    summary = res.summary()
    row_h = 0.02
    top = 0.6
    draw.table(fig.add_axes([0.07, top - row_h * (summary.height + 1), 0.86,
                             row_h * (summary.height + 1)]), summary, fontsize=6.5,
               col_widths=[0.17, 0.1, 0.25, 0.12, 0.24, 0.12])
    fit = res.tables()["model"].row(0, named=True)
    ph = res.ph_
    y = top - row_h * (summary.height + 1) - 0.015
    draw.note(fig, y, (
        f"{_count(fit['records'], spec.threshold)} cases, {_count(fit['events'], spec.threshold)} "
        f"events; likelihood-ratio chi2 = {fit['lr_chisq']:.1f} on {fit['lr_df']} df, "
        f"{_pv(fit['lr_p'])}; concordance = {fit['concordance']:.3f}. Efron ties; "
        f"strata: {', '.join(cx.strata) or 'none'}. Adjusted model: "
        f"{' + '.join(cx.terms)}; univariable: each term alone (same strata)."))
    ph_tab = ph.select(
        (pl.col("term") + pl.lit(" ") + pl.col("level").fill_null("")).str.strip_chars()
        .alias("term"),
        pl.col("chisq").map_elements(lambda v: f"{v:.2f}", return_dtype=pl.Utf8),
        pl.col("p").map_elements(_p, return_dtype=pl.Utf8),
    )
    ph_tab = ph_tab.with_columns(pl.when(ph["p"] < 0.05).then(pl.lit("check"))
                                 .otherwise(pl.lit("ok")).alias("proportional hazards"))
    h = 0.018 * (ph_tab.height + 1)
    draw.table(fig.add_axes([0.07, y - 0.06 - h, 0.6, h]), ph_tab, fontsize=6.5,
               title="Proportional-hazards check (scaled Schoenfeld, KM time)")
    pages.add(fig, f"{site}_cox")
    values["hr"] = {(r["term"], r["level"]): r["hr_adjusted"] for r in t.iter_rows(named=True)}


def _cif_page(pages, s, spec, label, site, values):
    cohort = _site_cohort(s, site)
    col = cohort.collapse([spec.group], event="cause")
    known_causes = col.counts.filter(pl.col("event").is_in(["cancer_death", "other_death"]))
    if known_causes.is_empty():
        fig = draw.page(f"{label.capitalize()}: competing risks", "")
        draw.note(fig, 0.85, "Cause of death is not recorded for this cohort, so cumulative "
                  "incidence of cancer and other-cause death cannot be estimated.", size=10)
        pages.add(fig, f"{site}_cif")
        return
    end = max(spec.times)
    grid = list(range(0, end + 1))
    counts = col.counts.rename({"event": "cause"})
    est = cumulative_incidence(counts, by=spec.group, times=grid,
                               levels=col.levels.get(spec.group))
    sizes = counts.group_by(spec.group).agg(pl.col("n").sum()).rows_by_key(spec.group)
    curves = {}
    for g in col.levels.get(spec.group, []):
        if sizes.get(g, [[0]])[0][0] < spec.threshold:
            continue
        e = est.filter(pl.col("group") == g)
        c = e.filter(pl.col("cause") == "cancer_death")["cumulative_incidence"].to_numpy()
        o = e.filter(pl.col("cause") == "other_death")["cumulative_incidence"].to_numpy()
        curves[g] = (np.array(grid), c, o)
    fig = draw.page(f"{label.capitalize()}: competing risks",
                    "Cumulative incidence of death from this cancer (solid) and from other "
                    "causes (dashed), Aalen-Johansen")
    ticks = _ticks(end)
    draw.cif_curves(fig.add_axes([0.1, 0.45, 0.83, 0.42]), curves, ticks,
                    xlabel="Months since diagnosis")
    at = est.filter(pl.col("time").is_in([float(x) for x in spec.times])).filter(
        pl.col("group").is_in(list(curves)))
    cell = pl.struct("cumulative_incidence", "lower", "upper").map_elements(
        lambda r: f"{_fmt(r['cumulative_incidence'])} ({_fmt(r['lower'])}, {_fmt(r['upper'])})",
        return_dtype=pl.Utf8)
    tab = (
        at.with_columns(cell.alias("v"), pl.col("time").cast(pl.Int64).cast(pl.Utf8)
                        .map_elements(lambda m: f"{m} months", return_dtype=pl.Utf8))
        .pivot(on="time", index=["group", "cause"], values="v")
    )
    h = min(0.3, 0.022 * (tab.height + 1))
    draw.table(fig.add_axes([0.07, 0.38 - h, 0.86, h]), tab, fontsize=6.5,
               col_widths=[0.1, 0.15] + [0.75 / len(spec.times)] * len(spec.times))
    draw.note(fig, 0.38 - h - 0.015, f"{col.unknown:,} deaths of unknown cause left out. "
              f"Groups with fewer than {spec.threshold} cases not drawn.")
    pages.add(fig, f"{site}_cif")


def _net_page(pages, s, spec, site, result):
    """Net survival by group: curves to the last time and a table at each time."""
    from cohort.survival.netsurv import LifeTableError, load_lifetable

    label = _site_label(site)
    cohort = _site_cohort(s, site)
    if cohort.size < max(spec.min_cases, spec.threshold):
        return
    ns = spec.net_survival
    name = "Net survival (Pohar Perme)" if ns.method == "pohar-perme" else \
        "Relative survival (Ederer II)"
    fig = draw.page(f"{label.capitalize()}: {name[0].lower()}{name[1:]}",
                    f"{name} by {spec.group}: survival if this cancer were the only cause of "
                    "death, against general-population life tables")
    end = max(spec.times)
    try:
        table = load_lifetable(ns.lifetable or None)
        res = cohort.net_survival(by=spec.group, times=list(range(0, end + 1, 3)),
                                  method=ns.method, lifetable=table)
    except (LifeTableError, ValueError) as exc:
        draw.note(fig, 0.85, f"No net survival for this site group: {exc}", size=10)
        pages.add(fig, f"{site}_net")
        return
    est = res.estimates_
    sizes = result.values.get(site or "all", {}).get("group_n", {})
    curves = {}
    for g in est["group"].unique(maintain_order=True):
        if sizes.get(g, spec.threshold) < spec.threshold:
            continue
        e = est.filter(pl.col("group") == g).sort("time")
        curves[g] = (e["time"].to_numpy(), e["net_survival"].to_numpy(),
                     e["lower"].to_numpy(), e["upper"].to_numpy(), np.array([]), np.array([]))
    ticks = _ticks(end)
    ax = fig.add_axes([0.12, 0.5, 0.81, 0.39])
    for i, (g, (t, sv, lo, hi, _, _)) in enumerate(curves.items()):
        color = draw.COLORS[i % len(draw.COLORS)]
        ax.plot(t, sv, color=color, lw=1.4, label=g)
        ax.fill_between(t, lo, hi, color=color, alpha=0.12, lw=0)
    ax.set_xlim(0, end)
    ax.set_xticks(ticks)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("Months since diagnosis", fontsize=9)
    ax.set_ylabel(name, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.25, lw=0.5)
    ax.legend(fontsize=8, frameon=False, loc="lower left", ncol=2)
    at = est.filter(pl.col("time").is_in([float(x) for x in spec.times])
                    & pl.col("group").is_in(list(curves)))
    tab = at.select(
        "group",
        pl.col("time").cast(pl.Int64).alias("month"),
        pl.col("n_risk").map_elements(lambda v: _count(v, spec.threshold),
                                      return_dtype=pl.Utf8).alias("at risk"),
        pl.col("observed").map_elements(_fmt, return_dtype=pl.Utf8).alias("observed"),
        pl.col("expected").map_elements(_fmt, return_dtype=pl.Utf8).alias("expected"),
        pl.struct("net_survival", "lower", "upper").map_elements(
            lambda r: f"{_fmt(r['net_survival'])} ({_fmt(r['lower'])}, {_fmt(r['upper'])})",
            return_dtype=pl.Utf8).alias(f"{name.split(' (')[0].lower()} (95% CI)"),
    )
    h = min(0.3, 0.02 * (tab.height + 1))
    draw.table(fig.add_axes([0.07, 0.42 - h, 0.86, h]), tab, fontsize=6.5,
               col_widths=[0.12, 0.08, 0.1, 0.12, 0.12, 0.46])
    draw.note(fig, 0.42 - h - 0.015,
              f"Life table: {res.lifetable}. Observed: Kaplan-Meier; expected: Ederer I.\n"
              "Follow-up in whole months (exits mid-month); 95% CI on the log scale. "
              f"Groups with fewer than {spec.threshold} cases not drawn.")
    pages.add(fig, f"{site}_net")
    result.values.setdefault(site or "all", {})["net"] = {
        (r["group"], r["time"]): r["net_survival"] for r in at.iter_rows(named=True)
    }
