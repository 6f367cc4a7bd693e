"""Benchmark: drawing a Kaplan-Meier figure with its numbers at risk, on a
10-million-record registry, against the Kaplan-Meier itself (issue 17: the
figure adds < 0.5 s, because it draws from the collapsed counts).

In one run, alternating: (1) ``cohort.km(by="node_burden")`` end to end (the
collapse query in DuckDB and the estimator), the baseline; (2) ``km.plot()``
with CI bands, censor marks and the numbers-at-risk table, and (3) the same
rendered to a PNG (Agg) and to a PDF, which is when the text is laid out.
matplotlib is imported once before timing (its import time printed apart).
The database is copied first: this branch may refresh its views on open.

    python benchmarks/plot.py --db /work/benchdata/registry_10000000.duckdb
"""

from __future__ import annotations

import argparse
import io
import platform
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import cohort

WHERE = "site_group = 'breast'"


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cohort-bench-plot-"))
    db = work / "registry.duckdb"
    shutil.copyfile(args.db, db)
    warnings.simplefilter("ignore")
    reg = cohort.Registry(db)
    c = reg.cohort(WHERE)
    print(f"{platform.machine()}, Python {platform.python_version()}; cohort {WHERE!r}: "
          f"{c.size:,} eligible of {reg.sql('select count(*) as n from cases')['n'].item():,}"
          " records", flush=True)
    t_import, _ = timed(lambda: __import__("cohort.plot"))
    km = c.km(by="node_burden")
    km.plot()  # warm: fonts, caches
    print(f"import cohort.plot (matplotlib): {t_import:.2f} s; curve table "
          f"{km.curves_.height:,} rows from {km.collapsed_rows:,} collapsed rows", flush=True)
    t_km, t_plot, t_png, t_pdf = [], [], [], []
    for i in range(args.repeat):
        t, km = timed(lambda: c.km(by="node_burden"))
        t_km.append(t)
        t, fig = timed(lambda km=km: km.plot(tests=True))
        t_plot.append(t)
        t, _ = timed(lambda fig=fig: fig.savefig(io.BytesIO(), format="png", dpi=300))
        t_png.append(t_plot[-1] + t)
        t, _ = timed(lambda km=km: km.plot(tests=True).savefig(io.BytesIO(), format="pdf"))
        t_pdf.append(t)
        print(f"run {i + 1}: km {t_km[-1]:.2f} s, plot {t_plot[-1]:.3f} s, plot + PNG (300 dpi) "
              f"{t_png[-1]:.3f} s, plot + PDF {t_pdf[-1]:.3f} s", flush=True)
    small = reg.cohort("site_group = 'melanoma' and dx_year = 2015")
    small_km = small.km(by="node_burden")
    t_small = []
    for _ in range(args.repeat):
        t, _ = timed(lambda: small_km.plot(tests=True).savefig(io.BytesIO(), format="png",
                                                               dpi=300))
        t_small.append(t)
    print(f"for comparison, a cohort of {small.size:,} records: plot + PNG (300 dpi) median "
          f"{statistics.median(t_small):.3f} s (rendering does not grow with the registry)")
    med = {k: statistics.median(v) for k, v in
           (("km", t_km), ("plot", t_plot), ("png", t_png), ("pdf", t_pdf))}
    print(f"median: km {med['km']:.2f} s; plot {med['plot']:.3f} s "
          f"({med['plot'] / med['km']:.1%} of km); plot + PNG {med['png']:.3f} s "
          f"({med['png'] / med['km']:.1%}); plot + PDF {med['pdf']:.3f} s "
          f"({med['pdf'] / med['km']:.1%})")
    db.unlink()


if __name__ == "__main__":
    main()
