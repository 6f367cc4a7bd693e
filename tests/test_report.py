"""The PDF report: printed numbers equal the API's, nothing small escapes,
reproducible bytes, clear pages for awkward cohorts, spec errors named."""

from __future__ import annotations

import re
import warnings

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import cohort
from cohort.cli import main
from cohort.datasets import gbsg2_extract
from cohort.labels import label
from cohort.report import SpecError, load_spec, write_report

SPEC = """
title = "Test report"
cohort = "{cohort}"
times = [12, 36, 60]
min_cases = 20
[cox]
terms = ["node_burden", "age_at_dx"]
strata = []
exclude_levels = ["NX", "N1 NOS"]
[disclosure]
threshold = 11
"""


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    r = cohort.Registry(tmp / "r.duckdb")
    r.load(cohort.synth.write(tmp / "s.csv", n=4000, seed=31))
    return r


def spec_file(tmp_path, cohort_sql: str, name: str = "spec.toml"):
    path = tmp_path / name
    path.write_text(SPEC.format(cohort=cohort_sql))
    return path


@pytest.fixture(scope="module")
def breast_pdf(reg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pdf")
    spec = load_spec(spec_file(tmp, "site_group = 'breast'"))
    result = write_report(reg, spec, tmp / "r.pdf", figures_dir=tmp / "fig")
    return result, PdfReader(tmp / "r.pdf"), spec


def page_text(reader, title: str) -> str:
    for p in reader.pages:
        t = p.extract_text()
        if title in t:
            return t
    raise AssertionError(f"no page titled {title!r}")


def expect_count(n: int, t: int = 11) -> str:
    return f"<{t}" if 0 < n < t else f"{n}"


def test_printed_numbers_equal_the_api(reg, breast_pdf):
    result, reader, spec = breast_pdf
    assert result.sections == ["breast"]
    text = page_text(reader, "Breast: Kaplan-Meier survival")
    km = reg.cohort("site_group = 'breast'").km(times=[12, 36, 60])
    flat = " ".join(text.split())
    # complementary suppression: beside the printed total, a hidden group count
    # is joined by at least the next-smallest count of its column (by hand);
    # the algorithm may hide more (events within n tie the columns), never a
    # count shown wrongly (tests/test_disclosure.py checks it cannot be undone)
    n_star = _complement(km.medians_["n"].to_list())
    ev_star = _complement(km.medians_["events"].to_list())
    masked = set()
    for i, row in enumerate(km.medians_.iter_rows(named=True)):
        shown = label("node_burden", row["group"], site="breast")  # "N2 (4-9 nodes)"
        # the table row (the legend above the curves names the groups too)
        line = next(ln for ln in text.splitlines() if re.match(
            re.escape(shown) + r" (\*|<\d+|[\d,]+) ", ln))
        n_text, ev_text, rest = line[len(shown) + 1:].split(" ", 2)
        assert n_text in {expect_count(row["n"]), "*"}, line
        assert ev_text in {expect_count(row["events"]), "*"}, line
        assert i != n_star or n_text == "*", line  # the hand-derived complement is hidden
        assert i != ev_star or ev_text == "*", line
        assert n_text != "*" or row["n"] >= 11, line  # a complement is never a small count
        if n_text == "*":
            masked.add(row["group"])
        if row["n"] < 11:  # too small to show: a dash with a footnote, never "not reached"
            assert shown in flat.split("suppressed: fewer than 11 cases (")[1]
            assert n_text == "<11" and rest == " ".join(["\u2013"] * 4), line
            continue
        s60 = km.estimates_.filter((km.estimates_["group"] == row["group"])
                                   & (km.estimates_["time"] == 60)).row(0, named=True)
        median = ("not reached" if row["median"] is None
                  else f"{row['median']:.1f} ({row['lower'] or 'NA'}")
        assert rest.startswith(median.replace("None", "NA"))
        assert f"{s60['survival']:.3f} ({s60['lower']:.3f}, {s60['upper']:.3f})" in line
    if masked:
        assert "*: suppressed as well, so that no count below 11 can be recovered" in flat
    # numbers at risk, group by group, at 0, 12, ..., 60 months
    lines = text.splitlines()
    for g, est in km.km_.groups_.items():
        if est.n < 11:
            continue
        expected = " ".join(
            ("*" if g in masked and est.at_risk(t) == est.n
             else "<11" if 0 < est.at_risk(t) < 11 else f"{est.at_risk(t):,}")
            for t in range(0, 61, 12)
        )
        assert any(ln == expected or ln.endswith(" " + expected) for ln in lines), (g, expected)
    cox_text = page_text(reader, "Breast: Cox proportional hazards")
    cx = reg.cohort("site_group = 'breast' and node_burden::varchar not in ('NX', 'N1 NOS')").cox(
        ["node_burden", "age_at_dx"])
    for r in cx.table_.filter(~cx.table_["reference"]).iter_rows(named=True):
        assert (f"{r['hr_adjusted']:.2f} ({r['lower_adjusted']:.2f}-"
                f"{r['upper_adjusted']:.2f})") in cox_text


def _complement(counts: list[int], t: int = 11) -> int | None:
    """The index of the count hidden beside a single hidden one (the smallest
    other non-zero count), or None when there is no single hidden one."""
    small = [i for i, c in enumerate(counts) if 0 < c < t]
    if len(small) != 1:
        return None
    others = [(c, i) for i, c in enumerate(counts) if c >= t]
    return min(others)[1] if others else None


def test_no_count_below_threshold_anywhere(breast_pdf):
    _, reader, _ = breast_pdf
    count = r"(<11|\d{1,3}(,\d{3})*)"
    for page in reader.pages:
        text = page.extract_text()
        for n in re.findall(r"n = ([\d,]+)", text):  # flow diagram, notes
            assert int(n.replace(",", "")) == 0 or int(n.replace(",", "")) >= 11
        for line in text.splitlines():
            body = re.sub(r"^N\S*( NOS)?( \([^)]*\))? ", "", line)  # group and its label
            tokens = body.split(" ")
            risk_row = len(tokens) == 6 and all(re.fullmatch(count, t) for t in tokens)
            if risk_row and body != "0 12 24 36 48 60":  # not the axis ticks
                for tok in tokens:
                    if tok != "<11":
                        v = int(tok.replace(",", ""))
                        assert v == 0 or v >= 11, line
            m = re.match(r"^(N\S*( NOS)?( \([^)]*\))?) (<11|\d+) (<11|\d+) ", line)  # table
            if m:
                for tok in (m.group(4), m.group(5)):
                    assert tok == "<11" or int(tok) == 0 or int(tok) >= 11, line
    assert any("<11" in p.extract_text() for p in reader.pages)


def test_figures_and_tables_written(breast_pdf):
    result, reader, _ = breast_pdf
    assert len(result.figures) == 2 * len(reader.pages)  # PNG and SVG per page
    assert all(p.exists() and p.stat().st_size > 0 for p in result.figures)
    assert [p.name for p in result.tables] == ["breast_survival.csv"]


def test_byte_identical(reg, tmp_path):
    """The same bytes twice, whatever DuckDB's memory cap (issue 16)."""
    spec = load_spec(spec_file(tmp_path, "site_group = 'melanoma'"))
    a = write_report(reg, spec, tmp_path / "a.pdf").path.read_bytes()
    b = write_report(reg, spec, tmp_path / "b.pdf", memory_limit="300MB").path.read_bytes()
    assert a == b


def test_cover_states_inputs(breast_pdf, reg):
    _, reader, _ = breast_pdf
    cover = reader.pages[0].extract_text()
    sha = reg.sql("select sha256 from loads").item()
    assert sha in cover
    assert "select * from cases where (site_group = 'breast')" in cover
    assert f"lifelines {__import__('lifelines').__version__}" in cover
    assert "printed as <11" in cover


@pytest.mark.parametrize(
    ("cohort_sql", "expected"),
    [
        ("false", "no rows"),  # empty cohort: attrition of zero, no site sections
        # the constant term is left out with a note; the model is fitted without it
        ("site_group = 'breast' and node_burden = 'N0'",
         "node_burden left out of the model: one level (N0) in this cohort"),
        ("site_group = 'pancreas' and dx_year = 2004", "fewer than 20"),
    ],
    ids=["empty", "one-group", "too-few"],
)
def test_awkward_cohorts_render(reg, tmp_path, cohort_sql, expected):
    spec = load_spec(spec_file(tmp_path, cohort_sql))
    result = write_report(reg, spec, tmp_path / "x.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(result.path).pages).split())
    assert result.pages >= 2
    if expected == "no rows":
        assert result.sections == []
        assert "records in the cohort" in text
    else:
        assert expected in text


def test_no_cause_of_death_and_group_without_events(tmp_path):
    reg = cohort.Registry(tmp_path / "g.duckdb")
    reg.load(gbsg2_extract(tmp_path / "gbsg2.csv"))
    spec = load_spec(spec_file(tmp_path, "site_group = 'breast'"))
    result = write_report(reg, spec, tmp_path / "g.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(result.path).pages).split())
    assert "Cause of death is not recorded for this cohort" in text
    # cause-specific survival cannot be estimated without cause of death either
    p = tmp_path / "cs.toml"
    p.write_text(SPEC.format(cohort="site_group = 'breast'") .replace(
        'times = [12, 36, 60]', 'times = [12, 36, 60]\nevent = "event_cancer"'))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = write_report(reg, load_spec(p), tmp_path / "cs.pdf")
    text = " ".join(" ".join(pg.extract_text() for pg in PdfReader(result.path).pages).split())
    assert "No cause-specific survival for this site group: cause of death is not recorded" in text


def test_spec_errors_name_the_key(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('title = "x"\ncolour = "red"\n')
    with pytest.raises(SpecError, match=r"unknown key 'colour'"):
        load_spec(p)
    p.write_text('times = "12,36"\n')
    with pytest.raises(SpecError, match=r"times must be list, got str"):
        load_spec(p)
    p.write_text('[cox]\nterms = "node_burden"\n')
    with pytest.raises(SpecError, match=r"cox.terms must be list"):
        load_spec(p)
    p.write_text('[disclosure]\nthreshold = true\n')
    with pytest.raises(SpecError, match=r"disclosure.threshold must be int, got bool"):
        load_spec(p)


def test_cli_report(reg, tmp_path):
    out = tmp_path / "cli.pdf"
    res = CliRunner().invoke(main, ["report", str(spec_file(tmp_path, "site_group = 'rectum'")),
                                    "--db", str(reg.path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"wrote {out} (")
    bad = tmp_path / "bad.toml"
    bad.write_text("title = 3\n")
    res = CliRunner().invoke(main, ["report", str(bad), "--db", str(reg.path)])
    assert res.exit_code == 1 and "title must be str, got int" in res.output


@pytest.mark.filterwarnings("ignore::cohort.survival.netsurv.LifeTableWarning")
def test_net_survival_page_matches_api(reg, breast_pdf):
    _, reader, _ = breast_pdf
    text = page_text(reader, "Breast: net survival (Pohar Perme)")
    res = reg.cohort("site_group = 'breast'").net_survival(times=[12, 36, 60])
    medians = reg.cohort("site_group = 'breast'").km(times=[12]).medians_
    sizes = dict(medians.select("group", "n").rows())
    for r in res.estimates_.iter_rows(named=True):
        if sizes[r["group"]] < 11:
            continue
        assert (f"{r['net_survival']:.3f} ({r['lower']:.3f}, {r['upper']:.3f})") in text
