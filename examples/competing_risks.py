"""Do node-positive breast cancer patients die of their cancer, or of
something else? Cumulative incidence of cancer death and other-cause death
by node burden, treating the other cause as a competing risk.

Data: the bundled synthetic extract; cause of death from the SEER
cause-specific classification (NAACCR 1914/1915). Aalen-Johansen estimates
from collapsed counts (no random tie-breaking, unlike lifelines'
AalenJohansenFitter), checked against R's survfit in tests.

Run: python examples/competing_risks.py
"""

import tempfile
from pathlib import Path

import polars as pl

import cohort
from cohort.output import render

work = Path(tempfile.mkdtemp(prefix="cif-"))
registry = cohort.Registry(work / "registry.duckdb")
registry.load(cohort.synth.write(work / "extract.csv", n=40_000, seed=11))

breast = registry.cohort("site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3')")
cif = breast.cif(by="node_burden", times=[12, 36, 60])
print(render(cif.tables()["cumulative_incidence"]))
print(f"{cif.unknown_cause:,} deaths of unknown cause left out")

at60 = cif.estimates_.filter(pl.col("time") == 60)
cancer = at60.filter(pl.col("cause") == "cancer_death")["cumulative_incidence"].to_list()
other = at60.filter(pl.col("cause") == "other_death")["cumulative_incidence"].to_list()

# the generator's cancer hazard rises with node burden (truth: HR 1, 1.6, 2.6, 4.0);
# other-cause death does not depend on it
assert cancer == sorted(cancer), cancer
assert max(other) - min(other) < 0.05, other
# the incidences and all-cause survival of the same cases add up to one
known = registry.cohort(
    "site_group = 'breast' and node_burden in ('N0', 'N1', 'N2', 'N3') "
    "and not (event = 1 and cause is null)"
)
survival = known.km(by="node_burden", times=[60]).estimates_["survival"].to_list()
for c, o, s in zip(cancer, other, survival, strict=True):
    assert abs(c + o + s - 1) < 1e-9
print("ok: cancer death rises with node burden; other-cause death does not")
