# %% [markdown]
# # Survival by lymph-node burden: a worked notebook
#
# The analysis-script door of `cohort`, cell by cell: the README's five lines, the
# Kaplan-Meier figure with its numbers at risk, Table 1, the Cox forest plot and net
# survival by node burden. Open this file in Jupyter (jupytext) or VS Code as a
# notebook, or run it as a script:
#
#     python examples/node_burden_notebook.py                       # checks, then "ok: ..."
#     python examples/node_burden_notebook.py --figures docs/figures  # also the docs' figures
#
# Data: the synthetic registry of `cohort demo` (20,000 records, seed 2026, with a known
# truth), built in a temporary folder. In a notebook, a cell ending in a result shows its
# table (and a Kaplan-Meier result its figure) without a `print`.

# %%
import argparse
import json
import tempfile
import warnings
from pathlib import Path

import cohort
from cohort.demo import DEMO_RECORDS, DEMO_SEED
from cohort.plot import figure_data
from cohort.survival.netsurv import LifeTableWarning

parser = argparse.ArgumentParser(description="node burden notebook")
parser.add_argument("--figures", type=Path, default=None,
                    help="write the figures (PNG) and their drawn data (JSON) here")
args, _ = parser.parse_known_args()  # a notebook kernel passes its own arguments

work = Path(tempfile.mkdtemp(prefix="cohort-notebook-"))
extract = cohort.synth.write(work / "sample_extract.csv", n=DEMO_RECORDS, seed=DEMO_SEED)
cohort.Registry(work / "registry.duckdb").load(extract)

# %% [markdown]
# ## The README's five lines

# %%
reg = cohort.Registry(work / "registry.duckdb")
breast = reg.cohort("site_group = 'breast' and dx_year between ? and ?", params=[2010, 2017])
print(breast.km(by="node_burden", times=[12, 36, 60]).summary())
print(breast.cox(["node_burden", "age_at_dx"]).summary())

# %% [markdown]
# ## Kaplan-Meier by node burden, with the numbers at risk
#
# Drawn from the collapsed counts; numbers at risk are R's `n.risk` (at risk just before
# each time), suppressed below 11 like every released count. Groups smaller than 11
# are not drawn (the figure says so). `size="single"` is 89 mm wide, `"double"` 183 mm.

# %%
km = breast.km(by="node_burden", times=[12, 36, 60])
km_figure = km.plot(tests=True)
km  # noqa: B018 - in a notebook: the summary table and the figure

# %% [markdown]
# ## Table 1
#
# gtsummary's `tbl_summary` layout as a polars DataFrame: median (IQR), n (%), Unknown
# rows, chi-squared / Kruskal-Wallis tests named beside their p-values.

# %%
table1 = breast.table1(by="node_burden", tests=True)
table1  # noqa: B018

# %% [markdown]
# ## Cox: univariable and adjusted hazard ratios, as a forest plot
#
# The unknown and unspecified categories (NX, N1 NOS) are left out of the model.

# %%
known = reg.cohort("site_group = 'breast' and dx_year between ? and ? "
                   "and node_burden::varchar not in ('NX', 'N1 NOS')", params=[2010, 2017])
cox = known.cox(["node_burden", "age_at_dx", "sex"])
cox_figure = cox.plot(size="double")
cox  # noqa: B018

# %% [markdown]
# ## Net survival by node burden (Pohar Perme)
#
# Survival if breast cancer were the only cause of death, against US life tables;
# the dotted lines are the expected survival of people of the same age, sex and year.

# %%
women = reg.cohort("site_group = 'breast' and dx_year between ? and ? and sex = '2'",
                   params=[2010, 2017])
with warnings.catch_warnings():
    warnings.simplefilter("ignore", LifeTableWarning)  # follow-up past 2014: rates carried
    net = women.net_survival(by="node_burden", times=[12, 36, 60])
net_figure = net.plot(expected=True)
net  # noqa: B018

# %% [markdown]
# ## Checks, and the documentation's figures

# %%
hr = {r["level"]: r["hr_adjusted"] for r in cox.table_.iter_rows(named=True)}
assert 1 < hr["N1"] < hr["N2"] < hr["N3"], hr  # the hazard rises with node burden
drawn = figure_data(km_figure)
n0 = km.curves_.filter(km.curves_["group"] == "N0")
assert drawn["curve:N0"]["y"][1:] == [round(v, 12) for v in n0["survival"].to_list()]
assert table1.filter(table1["variable"] == "sex")["label"].to_list() == [
    "Sex, n (%)", "male", "female"]
if args.figures is not None:
    args.figures.mkdir(parents=True, exist_ok=True)
    for name, figure in (("km_breast", km_figure), ("cox_breast", cox_figure),
                         ("net_breast", net_figure)):
        figure.savefig(args.figures / f"{name}.png", dpi=150)
        # what was drawn, without the CI bands and censor marks (they follow from it)
        data = {k: v for k, v in figure_data(figure).items()
                if not k.startswith(("ci:", "censor:"))}
        (args.figures / f"{name}.json").write_text(json.dumps(data, indent=0, sort_keys=True)
                                                   + "\n")
print(f"ok: hazard ratios N1 {hr['N1']:.2f}, N2 {hr['N2']:.2f}, N3 {hr['N3']:.2f} against N0")
