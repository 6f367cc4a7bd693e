"""Figures from every result: the drawn data equal the estimates (not pixels),
the numbers at risk equal R's n.risk counted from the raw records and are
suppressed like every other count, the risk table lines up with the time
axis, nothing is clipped, and `import cohort` stays free of matplotlib."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import numpy as np
import polars as pl
import pytest
from helpers import HEADER, record
from matplotlib.backends.backend_agg import FigureCanvasAgg

import cohort
from cohort.plot import SIZES, figure_data

# breast cases: (positive nodes, survival months, vital status); N2 has 3 cases
GROUPS = {
    "N0": [(0, m, v) for m, v in zip(
        [3, 8, 12, 12, 15, 20, 24, 24, 30, 36, 40, 48, 50, 60, 61, 70, 72, 80],
        [4, 1, 4, 1, 4, 1, 4, 4, 1, 4, 1, 1, 4, 1, 1, 4, 1, 1], strict=True)],
    "N1": [(2, m, v) for m, v in zip(
        [1, 2, 5, 6, 11, 12, 13, 18, 22, 25, 26, 30, 33, 47],
        [4, 4, 1, 4, 4, 1, 4, 4, 4, 1, 4, 4, 1, 4], strict=True)],
    "N2": [(6, m, 4) for m in (4, 9, 30)],
}


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plot")
    lines, i = [], 0
    for cases in GROUPS.values():
        for pos, months, vital in cases:
            i += 1
            lines.append(record(i, pos=f"{pos:02d}", exam="20", vital=str(vital),
                                months=f"{months:04d}", age=f"{40 + (i * 7) % 45:03d}"))
    path = tmp / "cases.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    r = cohort.Registry(tmp / "r.duckdb")
    r.load(path)
    return r


@pytest.fixture(scope="module")
def km(reg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return reg.cohort("site_group = 'breast'").km(times=[12, 36, 60])


def drawn(fig) -> dict:
    FigureCanvasAgg(fig).draw()
    return figure_data(fig)


def product_limit(cases) -> tuple[list[float], list[float]]:
    """Kaplan-Meier by hand from (months, vital) with exits at months + 0.5."""
    times = sorted({m + 0.5 for _, m, _ in cases})
    s, out = 1.0, []
    for t in times:
        n = sum(1 for _, m, _ in cases if m + 0.5 >= t)
        d = sum(1 for _, m, v in cases if m + 0.5 == t and v == 4)
        s *= 1 - d / n
        out.append(s)
    return times, out


def test_curves_are_the_estimates(km):
    data = drawn(km.plot())
    for g in ("N0", "N1"):
        times, surv = product_limit(GROUPS[g])
        assert data[f"curve:{g}"]["x"] == [0.0, *times]
        assert data[f"curve:{g}"]["y"] == pytest.approx([1.0, *surv], abs=1e-12)
        c = km.curves_.filter(pl.col("group") == g)
        censored = c.filter(pl.col("n_censor") > 0)
        assert data[f"censor:{g}"]["x"] == censored["time"].to_list()
        assert data[f"censor:{g}"]["y"] == pytest.approx(censored["survival"].to_list())
        assert f"ci:{g}" in data
    assert "curve:N2" not in data  # 3 cases: not drawn, and the figure says so
    # N2 (3 cases) is not drawn; N1's size is then hidden too (14 = 35 - 18 - 3 would
    # give the 3), and the figure says what its "*" means
    assert data["notes"] == ("not drawn (fewer than 11 cases): N2 (4-9 nodes)\n"
                             "*: hidden as well (complementary suppression)")


def test_numbers_at_risk_equal_n_risk(km):
    data = drawn(km.plot())
    # a group whose size the summary withholds beside the printed total
    # (complementary suppression, "*") keeps it withheld where all are at risk
    summary = km.summary(suppress_below=11, codes=True)
    masked = {r["group"] for r in summary.iter_rows(named=True) if r["n"] == "*"}
    for g in ("N0", "N1"):
        size = len(GROUPS[g])
        for t in (0, 12, 24, 36, 48, 60):
            n = sum(1 for _, m, _ in GROUPS[g] if m + 0.5 >= t)  # R's n.risk, by hand
            expect = ("*" if g in masked and n == size
                      else "<11" if 0 < n < 11 else f"{n:,}")
            assert data[f"at_risk:{g}:{t}"] == expect, (g, t)
    assert masked == {"N1"}  # N0 18 + N1 14 + N2 3 = 35 printed: the 14 would give the 3
    assert data["at_risk:N1:24"] == "<11"  # 5 still at risk
    assert data["at_risk:N0:12"] == "16"
    assert not any(k.startswith("at_risk:N2") for k in data)
    exact = drawn(km.plot(suppress_below=0))
    assert exact["at_risk:N1:24"] == "5" and exact["at_risk:N2:0"] == "3"


def drawn_texts(fig) -> list:
    """Every text the figure draws: titles, labels, tick labels inside the view,
    legend entries, annotations, the numbers at risk."""
    out = list(fig.texts)
    axes = list(fig.axes)
    axes += [c for ax in fig.axes for c in ax.child_axes]
    for ax in axes:
        out += [*ax.texts, ax.title, ax._left_title, ax.xaxis.label, ax.yaxis.label]
        for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            for tick in axis.get_major_ticks():
                if min(lo, hi) - 1e-9 <= tick.get_loc() <= max(lo, hi) + 1e-9 and \
                        tick.label1.get_visible():
                    out.append(tick.label1)
        if ax.get_legend() is not None:
            out += ax.get_legend().get_texts()
    return [t for t in out if t.get_visible() and t.get_text()]


def _extent(artist, renderer):
    return artist.get_window_extent(renderer)


def test_risk_table_lines_up_and_nothing_is_clipped(km):
    for size in ("single", "double"):
        fig = km.plot(size=size, tests=True, title="Overall survival by node burden")
        FigureCanvasAgg(fig).draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        rax = ax.child_axes[0]
        a, r = ax.get_window_extent(renderer), rax.get_window_extent(renderer)
        assert (a.x0, a.x1) == pytest.approx((r.x0, r.x1))  # the same time axis
        assert r.y1 < a.y0 - ax.xaxis.get_label().get_window_extent(renderer).height
        page = fig.bbox
        for t in drawn_texts(fig):
            box = _extent(t, renderer)
            assert page.x0 - 0.5 <= box.x0 and box.x1 <= page.x1 + 0.5, t.get_text()
            assert page.y0 - 0.5 <= box.y0 and box.y1 <= page.y1 + 0.5, t.get_text()
        for t in rax.texts:  # each count centred on its tick
            if t.get_gid() and t.get_gid().startswith("at_risk:"):
                x = float(t.get_gid().rsplit(":", 1)[1])
                tick_x = ax.transData.transform((x, 0))[0]
                assert _extent(t, renderer).x0 + _extent(t, renderer).width / 2 == \
                    pytest.approx(tick_x, abs=0.6)
        labels = rax.get_yticklabels()
        first = [t for t in rax.texts if t.get_gid() and t.get_gid().endswith(":0")]
        for lab in labels:  # group names clear of the first column of counts
            assert all(_extent(lab, renderer).x1 < _extent(t, renderer).x0 for t in first)
        legend = ax.get_legend()
        assert _extent(legend, renderer).y0 >= a.y1 - 0.5  # above the panel, not on the curves
        counts = sorted((_extent(t, renderer) for t in rax.texts if t.get_gid()),
                        key=lambda b: (round(b.y0), b.x0))
        for b1, b2 in zip(counts, counts[1:], strict=False):
            if round(b1.y0) == round(b2.y0):
                assert b1.x1 < b2.x0  # numbers of a row never touch


def test_sizes_axes_and_palette(km):
    assert km.plot().get_figwidth() == SIZES["single"] == 3.5
    assert km.plot(size="double").get_figwidth() == SIZES["double"] == 7.2
    assert tuple(km.plot(size=(5, 6)).get_size_inches()) == (5, 6)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 6))
    ax = fig.add_axes([0.2, 0.45, 0.7, 0.45])
    assert km.plot(ax=ax, risk_table=False, ci=False) is fig
    assert [ln.get_gid() for ln in ax.get_lines()] == ["curve:N0", "censor:N0", "curve:N1",
                                                       "censor:N1"]
    data = drawn(km.plot(palette={"N1": "#000000"}, censor_marks=False, times=[0, 24, 48]))
    assert "censor:N0" not in data and "at_risk:N0:48" in data and "at_risk:N0:60" not in data
    fig = km.plot(palette=["#ff0000", "#00ff00"])
    colors = {ln.get_gid(): ln.get_color() for ln in fig.axes[0].get_lines()}
    assert colors["curve:N0"] == "#ff0000" and colors["curve:N1"] == "#00ff00"
    with pytest.raises(ValueError, match="no group N7"):
        km.plot(groups=["N7"])


def test_forest_points_are_the_hazard_ratios(reg):
    cx = reg.cohort("site_group = 'breast' and node_burden in ('N0', 'N1')").cox(
        ["node_burden", "age_at_dx"])
    data = drawn(cx.plot(size="double"))
    for r in cx.table_.iter_rows(named=True):
        key = f"{r['term']}:{r['level'] or ''}"
        for model in ("univariable", "adjusted"):
            point = data[f"hr:{model}:{key}"]
            if r["reference"]:
                assert point["x"] == [1.0]
                continue
            assert point["x"] == pytest.approx([r[f"hr_{model}"]], rel=1e-12)
            assert data[f"hr_ci:{model}:{key}"]["x"] == pytest.approx(
                [r[f"lower_{model}"], r[f"upper_{model}"]], rel=1e-12)
    adjusted = drawn(cx.plot(model="adjusted"))
    assert not any(k.startswith("hr:univariable") for k in adjusted)
    texts = [v for k, v in data.items() if k.startswith("hr_text:adjusted")]
    n1 = cx.table_.filter(pl.col("level") == "N1").row(0, named=True)
    assert (f"{n1['hr_adjusted']:.2f} ({n1['lower_adjusted']:.2f}-"
            f"{n1['upper_adjusted']:.2f})") in texts


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plot_synth")
    r = cohort.Registry(tmp / "r.duckdb")
    r.load(cohort.synth.write(tmp / "s.csv", n=3000, seed=8))
    return r


def test_cif_curves_are_the_estimates(synth):
    res = synth.cohort("site_group = 'breast'").cif(times=[12, 36, 60])
    data = drawn(res.plot(ci=True, censor_marks=True))
    curves = res.curves_
    sizes = res.group_sizes()
    for g in [g for g in res.levels if sizes[g] >= 11]:
        for cause in ("cancer_death", "other_death"):
            c = curves.filter((pl.col("group") == g) & (pl.col("cause") == cause))
            line = data[f"curve:{g}:{cause}"]
            assert line["x"] == [0.0, *c["time"].to_list()]
            assert line["y"] == pytest.approx([0.0, *c["cumulative_incidence"].to_list()])
            # the curve at the report times is the Aalen-Johansen table
            at = res.estimates_.filter((pl.col("group") == g) & (pl.col("cause") == cause))
            for t, f in zip(at["time"], at["cumulative_incidence"], strict=True):
                i = np.searchsorted(line["x"], t, side="right") - 1
                assert line["y"][i] == pytest.approx(f, abs=1e-12)
        for t in (0, 12, 24, 36, 48, 60):
            n = int(res.counts_.filter((pl.col("node_burden") == g) & (pl.col("time") >= t))[
                "n"].sum())
            assert data[f"at_risk:{g}:{t}"] == ("<11" if 0 < n < 11 else f"{n:,}")


@pytest.mark.filterwarnings("ignore::cohort.survival.netsurv.LifeTableWarning")
def test_net_survival_curves_are_the_estimates(synth):
    res = synth.cohort("site_group = 'colon' and sex in ('1', '2')").net_survival(
        times=[12, 36, 60])
    data = drawn(res.plot(expected=True))
    for g, n in res.group_sizes().items():
        if n < 11:
            assert f"curve:{g}" not in data
            continue
        c = res.curves_.filter(pl.col("group") == g).sort("time")
        assert data[f"curve:{g}"]["x"] == c["time"].to_list()
        assert data[f"curve:{g}"]["y"] == pytest.approx(c["net_survival"].to_list())
        assert data[f"curve:{g}:expected"]["y"] == pytest.approx(c["expected"].to_list())
        est = res.estimates_.filter(pl.col("group") == g)
        on_grid = c.filter(pl.col("time").is_in(est["time"].to_list()))
        assert on_grid["net_survival"].to_list() == est["net_survival"].to_list()
        assert data[f"at_risk:{g}:12"] == (lambda v: "<11" if 0 < v < 11 else f"{v:,}")(
            est.filter(pl.col("time") == 12)["n_risk"].item())


def test_rich_display(km, reg, synth):
    text = repr(km)
    assert text.startswith("Kaplan-Meier by node_burden: 35 records in 3 groups")
    # groups under their labels (cohort.labels: breast N2 is 4-9 nodes)
    assert re.search(r"\| N0 \(0 nodes\) +\| 18 ", text)
    assert re.search(r"\| N2 \(4-9 nodes\) +\| <11 ", text)
    assert "log-rank:" in text
    html = km._repr_html_()
    assert "<table" in html and "<img" in html and "Kaplan-Meier by node_burden" in html
    cx = reg.cohort("site_group = 'breast' and node_burden in ('N0', 'N1')").cox(["node_burden"])
    assert "HR (95% CI) adjusted" in repr(cx) and "<table" in cx._repr_html_()
    cif = synth.cohort("site_group = 'breast'").cif()
    assert "Aalen-Johansen" in repr(cif) and "<table" in cif._repr_html_()


def test_import_cohort_is_free_of_matplotlib(tmp_path):
    code = (
        "import sys, cohort, tempfile, pathlib\n"
        "tmp = pathlib.Path(tempfile.mkdtemp())\n"
        "reg = cohort.Registry(tmp / 'r.duckdb')\n"
        "reg.load(cohort.synth.write(tmp / 'x.csv', n=500, seed=1))\n"
        "km = reg.cohort(\"site_group = 'breast'\").km()\n"
        "print('matplotlib' in sys.modules)\n"
        "fig = km.plot()\n"
        "print('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    assert out.stdout.split() == ["False", "True"]


def test_fine_gray_figures_are_the_estimates(synth):
    c = synth.cohort("site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3')")
    fg = c.finegray(["node_burden", "age_at_dx"])
    data = drawn(fg.plot())
    for r in fg.table_.filter(~pl.col("reference")).iter_rows(named=True):
        key = f"{r['term']}:{r['level'] or ''}"
        assert data[f"hr:adjusted:{key}"]["x"] == pytest.approx([r["hr_adjusted"]], rel=1e-12)
    profiles = [{"node_burden": "N0", "age_at_dx": 60}, {"node_burden": "N3", "age_at_dx": 60}]
    curves = drawn(fg.plot_predicted(profiles, times=[0, 12, 24, 36, 48, 60]))
    expected = fg.predict(profiles)
    for label in expected["profile"].unique():
        e = expected.filter(pl.col("profile") == label)
        line = curves[f"curve:{label}:cancer_death"]
        assert line["x"][1:] == e["time"].to_list()
        assert line["y"][1:] == pytest.approx(e["cumulative_incidence"].to_list())
    both = c.competing_hazards(["node_burden", "age_at_dx"])
    data = drawn(both.plot(cause="other"))
    n3 = both.table_.filter(pl.col("level") == "N3").row(0, named=True)
    assert data["hr:cs_other:node_burden:N3"]["x"] == pytest.approx([n3["hr_cs_other"]])
    assert data["hr:sd_other:node_burden:N3"]["x"] == pytest.approx([n3["hr_sd_other"]])
    assert "Fine-Gray subdistribution hazards" in repr(fg) and "<table" in both._repr_html_()


@pytest.mark.filterwarnings("ignore::cohort.survival.netsurv.LifeTableWarning")
def test_life_table_and_excess_hazard_figures(synth):
    c = synth.cohort("site_group = 'colon' and sex in ('1', '2')")
    lt = c.lifetable(horizon=60)
    data = drawn(lt.plot())
    sizes = lt.group_sizes()
    for g in [g for g, n in sizes.items() if n >= 11]:
        t = lt.table_.filter(pl.col("group") == g).sort("end")
        assert data[f"curve:{g}"]["x"] == [0.0, *[float(x) for x in t["end"]]]
        assert data[f"curve:{g}"]["y"] == pytest.approx([1.0, *t["relative"].to_list()])
        # alive at the start of each interval, as the life table counts them
        for row in t.iter_rows(named=True):
            n = row["alive_start"]
            if row["start"] in (0, 12, 24, 36, 48):
                assert data[f"at_risk:{g}:{row['start']}"] == ("<11" if 0 < n < 11 else f"{n:,}")
    observed = drawn(lt.plot(kind="observed", risk_table=False))
    g = next(g for g, n in sizes.items() if n >= 11)
    assert observed[f"curve:{g}"]["y"][1:] == pytest.approx(
        lt.table_.filter(pl.col("group") == g).sort("end")["observed"].to_list())
    with pytest.raises(ValueError, match="kind must be one of"):
        lt.plot(kind="crude")
    ehr = c.ehr(["node_burden", "age_at_dx"], exclude_levels={"node_burden": ["NX", "N1 NOS"]})
    data = drawn(ehr.plot())
    for r in ehr.table_.filter(~pl.col("reference")).iter_rows(named=True):
        key = f"{r['term']}:{r['level'] or ''}"
        assert data[f"hr:excess:{key}"]["x"] == pytest.approx([r["ehr"]], rel=1e-12)
    assert "Excess hazard ratios" in repr(ehr) and "Life table" in repr(lt)


def test_labels_from_the_registry_label_tables(km):
    """Legends read the registry's labels (cohort.labels: breast N1 is
    "N1 (1-3 nodes)"), the risk table keeps the short code."""
    assert km.site == "breast"
    fig = km.plot()
    data = drawn(fig)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["N0 (0 nodes)", "N1 (1-3 nodes)"]
    rows = [t.get_text() for t in fig.axes[0].child_axes[0].get_yticklabels()]
    assert rows == ["N1", "N0"]  # bottom to top
    assert data["at_risk:N0:0"] == "18"


def test_net_survival_and_life_table_legends_read_labels(synth):
    """Colon's count rule (cohort.labels): N1b is 2-3 nodes; groups too small
    to draw are named by their labels too."""
    from cohort.labels import label

    c = synth.cohort("site_group = 'colon' and sex in ('1', '2')")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the life table ends before the follow-up
        results = (c.net_survival(times=[12, 36, 60]), c.lifetable(horizon=60))
    for res in results:
        assert res.site == "colon"
        data = drawn(res.plot())
        shown = [g for g, n in res.group_sizes().items() if n >= 11]
        legend = [t for t in data["legend:0"] if t.startswith("N")]
        assert sorted(legend) == sorted(label("node_burden", g, site="colon") for g in shown)
        assert "N1b (2-3 nodes)" in legend or "N1b" not in shown
        assert "N0 (0 nodes)" in repr(res)
