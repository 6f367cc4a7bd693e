"""Does the number of positive lymph nodes predict death in node-positive breast cancer?

Data: the German Breast Cancer Study Group 2 trial (GBSG-2; 686 women with
node-positive breast cancer, diagnosed 1984-1989; Schumacher et al., J Clin
Oncol 1994;12:2086-93), which ships with lifelines, turned into a registry
extract by cohort.datasets.gbsg2_extract (documented there).

Published: the number of positive nodes is the strongest prognostic factor
in GBSG-2. The multivariable Cox model of recurrence-free survival usually
shown for these data (e.g. Sauerbrei & Royston, J R Stat Soc A 1999) gives a
hazard ratio of about 1.05 per additional positive node; grouped, the
hazard rises steeply from 1-3 to 4-9 to 10 or more nodes.

Here: overall survival by AJCC 8th-edition count category (N1: 1-3, N2:
4-9, N3: 10+), with the log-rank test for trend and a Cox model adjusted
for age. Result: hazard ratios of 2.3 (N2) and 4.9 (N3) against N1, and
1.07 per positive node (overall survival; 1.05 is for recurrence-free
survival with more covariates) - the same direction and size as published.
The numbers are checked against R's survival package (tests/fixtures/r).

Run: python examples/breast_node_burden.py   (writes into a temporary folder)
"""

import tempfile
import warnings
from pathlib import Path

import cohort
from cohort.datasets import gbsg2_extract
from cohort.output import render

work = Path(tempfile.mkdtemp(prefix="gbsg2-"))
registry = cohort.Registry(work / "registry.duckdb")
registry.load(gbsg2_extract(work / "gbsg2_extract.csv"))

breast = registry.cohort("site_group = 'breast'")
print(breast)

# Kaplan-Meier by node burden, log-rank and log-rank for trend
km = breast.km(by="node_burden", times=[12, 36, 60])
print(render(km.summary()))
print(render(km.tests_))

# Cox: node burden adjusted for age (Efron ties), and nodes as a count
cox = breast.cox(["node_burden", "age_at_dx"])
print(render(cox.summary()))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # nodes as a count: PH check printed, not warned
    per_node = breast.cox(["nodes_positive", "age_at_dx"], univariable=False)
hr_per_node = per_node.table_.filter(per_node.table_["term"] == "nodes_positive")[
    "hr_adjusted"].item()
print(f"hazard ratio per additional positive node: {hr_per_node:.3f}")

# headline numbers, as R's coxph and survdiff give them (tests/fixtures/r)
hr = dict(zip(cox.table_["level"], cox.table_["hr_adjusted"], strict=True))
assert round(hr["N2"], 2) == 2.33 and round(hr["N3"], 2) == 4.88, hr
trend = km.tests_.filter(km.tests_["test"] == "log-rank for trend").row(0, named=True)
assert round(trend["chisq"], 2) == 74.33, trend
assert 1.03 < hr_per_node < 1.08, hr_per_node
print("ok: matches R (coxph HR N2 2.33, N3 4.88; trend chi-square 74.33)")
