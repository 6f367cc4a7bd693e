"""Synthetic registry extracts with a known truth.

``write(path, n=..., seed=...)`` draws tumour records that look like a
central-registry extract (canonical column names, NAACCR codes as text) and
writes a sidecar ``<path>.truth.json`` with the model that generated them:
the site mix, the true cause-specific hazard ratio of every node-burden
category, the other-cause hazard and the number of deliberately invalid
values (``invalid_values``, by item: cohort loads their records with the
value unknown and lists them in ``item_edits``). Tests, examples and
benchmarks all use these files.

Any size fits in memory: records are drawn in blocks of :data:`BLOCK`, each
from its own stream of the seed, and written a chunk (whole blocks) at a
time, so memory follows the chunk, and the records depend on the seed only
(:func:`frames`). The NAACCR text writers are in :mod:`cohort.synth_naaccr`,
the coding of the items in :mod:`cohort.synth_codes` and
:mod:`cohort.synth_covariates`, the SEER*Stat exports in
:mod:`cohort.synth_seerstat`.

The survival model is proportional hazards on the cause-specific (cancer)
hazard: ``h_c(t) = h0_site * HR[site, burden] * exp(0.02 (age - 60))``,
competing with an age-driven other-cause hazard ``h_o = 0.0015 *
exp(0.08 (age - 60))`` per month; both exponential. Follow-up ends at the
study cut-off (end of 2022) or at a random loss to follow-up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from cohort import synth_codes, synth_covariates
from cohort.synth_naaccr import XML_HEAD
from cohort.synth_naaccr import write_flat as _write_flat
from cohort.synth_naaccr import write_xml as _write_xml

FORMATS = ("csv", "parquet", "naaccr-xml", "naaccr-flat", "seerstat-labels", "seerstat-numeric")
PATIENT_ITEMS = ("sex", "last_contact_date", "vital_status", "cause_of_death",
                 *synth_covariates.PATIENT_COLUMNS)
CUTOFF_YEAR = 2022
# Records are drawn BLOCK at a time, each block from its own generator: a
# block is the unit of reproducibility (same seed, same records, whatever the
# chunk size), a chunk (whole blocks) the unit of memory and of writing.
BLOCK = 100_000
CHUNK = 200_000

# site group: share, topography codes, histology codes, share of tumours whose
# nodes are examined, mean nodes examined, monthly cancer hazard in N0,
# share of female patients
SITES = {
    "breast": (0.28, ["C504", "C502", "C508", "C509", "C501"], ["8500", "8520", "8522"],
        0.92, 9, 0.0012, 0.99),
    "colon": (0.14, ["C180", "C182", "C183", "C184", "C186", "C187"], ["8140", "8480"],
        0.90, 19, 0.0030, 0.5),
    "rectum": (0.06, ["C209", "C199"], ["8140"], 0.85, 15, 0.0035, 0.42),
    "stomach": (0.06, ["C160", "C162", "C163", "C165", "C169"], ["8140", "8490"],
        0.70, 20, 0.0080, 0.4),
    "esophagus": (0.04, ["C150", "C153", "C154", "C155"], ["8070", "8140"], 0.55, 16, 0.0120, 0.25),
    "pancreas": (0.05, ["C250", "C251", "C252"], ["8500", "8140"], 0.45, 17, 0.0200, 0.5),
    "lung": (0.15, ["C340", "C341", "C342", "C343"], ["8140", "8070", "8041"],
        0.55, 11, 0.0100, 0.48),
    "melanoma": (0.08, ["C443", "C445", "C446", "C447"], ["8720", "8721", "8743"],
        0.60, 3, 0.0008, 0.45),
    "head_neck": (0.10, ["C019", "C090", "C100", "C320", "C021", "C069"], ["8070", "8071"],
        0.55, 25, 0.0045, 0.28),
    "other": (0.04, ["C445", "C447", "C619"], ["8247", "8140"], 0.40, 8, 0.0040, 0.35),
}

# node-burden categories per site: (label, min positive, max positive, share
# among examined, true cause-specific HR). Sites whose N category is not
# count-based draw counts from their node-positive category.
BURDEN = {
    "breast": [
        ("N0", 0, 0, 0.62, 1.0), ("N1", 1, 3, 0.24, 1.6), ("N2", 4, 9, 0.09, 2.6),
        ("N3", 10, 40, 0.05, 4.0),
    ],
    "colon": [
        ("N0", 0, 0, 0.55, 1.0), ("N1a", 1, 1, 0.12, 1.5), ("N1b", 2, 3, 0.13, 2.0),
        ("N2a", 4, 6, 0.11, 2.8), ("N2b", 7, 30, 0.09, 3.8),
    ],
    "rectum": [
        ("N0", 0, 0, 0.55, 1.0), ("N1a", 1, 1, 0.12, 1.5), ("N1b", 2, 3, 0.13, 2.0),
        ("N2a", 4, 6, 0.11, 2.8), ("N2b", 7, 30, 0.09, 3.8),
    ],
    "stomach": [
        ("N0", 0, 0, 0.40, 1.0), ("N1", 1, 2, 0.18, 1.6), ("N2", 3, 6, 0.18, 2.3),
        ("N3a", 7, 15, 0.16, 3.2), ("N3b", 16, 45, 0.08, 4.5),
    ],
    "esophagus": [
        ("N0", 0, 0, 0.45, 1.0), ("N1", 1, 2, 0.25, 1.5), ("N2", 3, 6, 0.18, 2.2),
        ("N3", 7, 25, 0.12, 3.0),
    ],
    "pancreas": [("N0", 0, 0, 0.30, 1.0), ("N1", 1, 3, 0.40, 1.4), ("N2", 4, 20, 0.30, 1.9)],
    "lung": [("N0", 0, 0, 0.65, 1.0), ("N+", 1, 12, 0.35, 2.0)],
    "melanoma": [
        ("N0", 0, 0, 0.78, 1.0), ("N1", 1, 1, 0.12, 1.7), ("N2", 2, 3, 0.06, 2.5),
        ("N3", 4, 15, 0.04, 3.4),
    ],
    "head_neck": [("N0", 0, 0, 0.40, 1.0), ("N+", 1, 15, 0.60, 2.0)],
    "other": [("N0", 0, 0, 0.60, 1.0), ("N+", 1, 10, 0.40, 2.0)],
}
HR_NOT_EXAMINED = 1.8  # nodes not examined: a mix of node-negative and -positive
AGE_LOG_HR = 0.02  # per year, cancer hazard
OTHER_HAZARD = 0.0015  # per month at age 60
OTHER_AGE_LOG_HR = 0.08
LOSS_HAZARD = 0.001  # loss to follow-up per month

# deliberately invalid values, one per kind, at these rates
INVALID = {"nodes_positive_code": (["AB", "150"], 0.0005), "age_at_dx": (["-1"], 0.0002)}


def _batch(rng: np.random.Generator, n: int, first_id: int) -> tuple[pl.DataFrame, dict]:
    site_names = list(SITES)
    shares = np.array([SITES[s][0] for s in site_names])
    site_idx = rng.choice(len(site_names), size=n, p=shares / shares.sum())

    topo = np.empty(n, dtype=object)
    hist = np.empty(n, dtype=object)
    female = np.zeros(n, dtype=bool)
    examined_any = np.zeros(n, dtype=bool)
    mean_exam = np.zeros(n)
    base_hazard = np.zeros(n)
    positive = np.zeros(n, dtype=np.int64)
    rank = np.zeros(n)  # position of the node-burden category, 0 (N0) to 1 (highest)
    hr = np.ones(n)
    category = np.empty(n, dtype=object)
    for i, s in enumerate(site_names):
        m = site_idx == i
        k = int(m.sum())
        if not k:
            continue
        _, topos, hists, p_exam, mexam, h0, p_female = SITES[s]
        topo[m] = rng.choice(topos, size=k)
        hist[m] = rng.choice(hists, size=k)
        female[m] = rng.random(k) < p_female
        examined_any[m] = rng.random(k) < p_exam
        mean_exam[m] = mexam
        base_hazard[m] = h0
        cats = BURDEN[s]
        probs = np.array([c[3] for c in cats])
        c_idx = rng.choice(len(cats), size=k, p=probs / probs.sum())
        lo = np.array([c[1] for c in cats])[c_idx]
        hi = np.array([c[2] for c in cats])[c_idx]
        positive[m] = lo + np.floor(rng.random(k) * (hi - lo + 1)).astype(np.int64)
        hr[m] = np.array([c[4] for c in cats])[c_idx]
        category[m] = np.array([c[0] for c in cats])[c_idx]
        rank[m] = c_idx / max(len(cats) - 1, 1)
    hr[~examined_any] = HR_NOT_EXAMINED

    age = np.clip(np.round(rng.normal(63, 12, n)), 18, 99).astype(np.int64)
    dx_year = rng.integers(2004, 2021, n)
    dx_month = rng.integers(1, 13, n)
    dx_day = rng.integers(1, 29, n)

    # examined counts: at least the positive count; sentinel-only exams are small
    examined = np.maximum(rng.poisson(mean_exam), 1)
    examined = np.maximum(examined, positive + rng.poisson(1.0, n))
    # multiple primaries: ~6% of records are a second tumour of the previous patient
    second = rng.random(n) < 0.06
    second[0] = False
    group = np.cumsum(~second) - 1
    pid = first_id + group
    size = np.bincount(group)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    within = np.arange(n) - start[group] + 1
    seq = np.where(size[group] == 1, "00", np.char.zfill(within.astype(str), 2))

    # survival: cause-specific and other-cause exponential times, admin censoring
    h_c = base_hazard * hr * np.exp(AGE_LOG_HR * (age - 60))
    h_o = OTHER_HAZARD * np.exp(OTHER_AGE_LOG_HR * (age - 60))
    t_c = rng.exponential(1 / h_c)
    t_o = rng.exponential(1 / h_o)
    t_l = rng.exponential(1 / LOSS_HAZARD, n)
    admin = (CUTOFF_YEAR - dx_year) * 12 + (12 - dx_month) + (28 - dx_day) / 28
    t = np.minimum.reduce([t_c, t_o, t_l, admin])
    dead = (t == t_c) | (t == t_o)
    cancer_death = t == t_c

    source = rng.choice(["1", "2", "3", "4", "5", "6", "7", "8"], size=n,
                        p=[0.86, 0.04, 0.02, 0.02, 0.02, 0.003, 0.017, 0.02])
    behavior = np.where((site_idx == 0) & (rng.random(n) < 0.03), "2", "3")
    _share_patient_follow_up(
        rng, start[group], within > 1, female, age, dx_year, dx_month, dx_day, t, dead, source
    )
    dco = (source == "6") | (source == "7")
    cancer_death = cancer_death & dead
    months = np.floor(t).astype(np.int64)

    df = pl.DataFrame(
        {
            "patient_id": pid,
            "tumor_seq": seq,
            "sex": np.where(female, "2", "1"),
            "age": age,
            "dx_year": dx_year,
            "dx_month": dx_month,
            "dx_day": dx_day,
            "site_group": np.array(site_names)[site_idx],
            "primary_site": topo.astype(str),
            "histology": hist.astype(str),
            "behavior": behavior,
            # drawn to keep the generator's sequence; grade now follows the
            # node burden (cohort.synth_covariates)
            "grade_draw": rng.choice(["1", "2", "3", "9"], size=n, p=[0.2, 0.4, 0.3, 0.1]),
            "reporting_source": source,
            "examined_any": examined_any,
            "category": category.astype(str),
            "rank": rank,
            "positive": positive,
            "examined": examined,
            "months": months,
            "dead": dead,
            "cancer_death": cancer_death,
            "dco": dco,
            "u": rng.random(n),
            "u2": rng.random(n),
            "u3": rng.random(n),
        }
    )
    out = df.select(synth_codes.columns())
    latent = df.select("site_group", "dx_year", "examined_any", "dco", "category", "positive",
                       "examined", "age", "dead", "cancer_death", "u2", "rank")
    # the new items draw from a generator of their own, seeded from the batch
    # generator's state without drawing from it: every base value (node codes,
    # survival, the deliberately invalid records) stays what the seed gave
    state = rng.bit_generator.state["state"]["state"]
    own = np.random.default_rng([state % 2**64, state >> 64, 12])
    out, more_truth = synth_covariates.add(latent.hstack(synth_covariates.draw(own, n)), out)
    # Patient-level items (NAACCR XML puts them on the Patient) are the
    # first tumour's, so every format of the extract says the same thing.
    out = out.with_columns(pl.col(c).first().over("patient_id") for c in PATIENT_ITEMS)
    coded = out.select(
        pl.col("nodes_positive_code").alias("coded_positive"),
        pl.col("tumor_deposits_code").alias("coded_deposits"),
        pl.col("p16_code").alias("coded_p16"),
        "patient_id",
        "tumor_seq",
    )
    truth_frame = df.drop("patient_id", "tumor_seq").hstack(coded).select(
        "patient_id", "tumor_seq", "site_group", synth_codes.true_burden().alias("node_burden")
    ).hstack(more_truth)
    before = out["nodes_positive_code"]
    out, invalid = _inject_invalid(rng, out)
    # An invalid regional nodes positive loads as unknown, and the category is
    # what the other items still show: breast counts the axillary nodes (3882);
    # negative sentinel nodes (breast, melanoma) say N0; otherwise NX.
    site = truth_frame["site_group"]
    axillary = (site == "breast") & out["ln_axillary_code"].str.contains(
        r"^([0-9]{2}|X1|X5|X6)$").fill_null(False)
    sentinel_n0 = (site.is_in(["breast", "melanoma"])
                   & (out["sentinel_positive_code"] == "00").fill_null(False)
                   & out["sentinel_examined_code"].str.contains(
                       r"^(0[1-9]|[1-8][0-9]|90)$").fill_null(False))
    lost = before.ne_missing(out["nodes_positive_code"]) & ~axillary
    truth_frame = truth_frame.with_columns(
        pl.when(pl.Series(lost & sentinel_n0)).then(pl.lit("N0"))
        .when(pl.Series(lost)).then(pl.lit("NX"))
        .otherwise(pl.col("node_burden")).alias("node_burden"))
    return out, truth_frame, invalid


def _share_patient_follow_up(rng, first, later, female, age, dx_year, dx_month, dx_day,
                             t, dead, source) -> None:
    """Make a patient's later primaries agree with the first on what belongs
    to the patient (in place): the same sex, a diagnosis during the first
    tumour's follow-up (a whole number of months after it, same day of
    month), and the same end of follow-up, so the date of last contact and
    vital status are one per patient. A death-certificate-only first tumour
    (follow-up 0) makes the later ones death-certificate-only too, on the
    same date. Later primaries are excluded from the survival analysis (not
    the first primary), so their survival times carry no model truth.
    """
    # A generator of its own, seeded from the batch generator's state without
    # drawing from it: every other value (first primaries included) stays
    # what the same seed gave before later primaries were made consistent.
    state = rng.bit_generator.state["state"]["state"]
    offset_u = np.random.default_rng([state % 2**64, state >> 64]).random(len(t))
    if not later.any():
        return
    f = first[later]
    dco_first = (source[f] == "6") | (source[f] == "7")
    end = np.where(dco_first, 0.0, t[f])  # months from the first diagnosis to the end
    offset = np.floor(offset_u[later] * np.floor(end)).astype(np.int64)
    month_index = dx_year[f] * 12 + dx_month[f] - 1 + offset
    female[later] = female[f]
    age[later] = np.minimum(age[f] + offset // 12, 99)
    dx_year[later] = month_index // 12
    dx_month[later] = month_index % 12 + 1
    dx_day[later] = dx_day[f]
    t[later] = end - offset
    dead[later] = dead[f] | dco_first
    own_dco = (source[later] == "6") | (source[later] == "7")
    source[later] = np.where(dco_first, source[f], np.where(own_dco, "1", source[later]))


def _inject_invalid(rng: np.random.Generator, df: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    """Replace a few values with invalid codes; return which records got them."""
    n = df.height
    taken = np.zeros(n, dtype=bool)
    counts = {}
    for column, (values, rate) in INVALID.items():
        hit = (rng.random(n) < rate) & ~taken
        taken |= hit
        counts[column] = int(hit.sum())
        bad = rng.choice(values, size=n)
        df = df.with_columns(
            pl.when(pl.Series(hit)).then(pl.Series(bad)).otherwise(pl.col(column)).alias(column)
        )
    return df, counts


def truth(n: int, seed: int) -> dict:
    """The generating model, as written to the sidecar JSON."""
    return {
        "generator": "cohort.synth",
        "n": n,
        "seed": seed,
        "records_per_stream": BLOCK,
        "study_cutoff_year": CUTOFF_YEAR,
        "model": (
            "cause-specific (cancer) hazard h0_site * HR[site][burden] * exp(age_log_hr*(age-60)), "
            "exponential; competing other-cause hazard other_hazard*exp(other_age_log_hr*(age-60)) "
            "per month; loss to follow-up; administrative censoring at the cut-off"
        ),
        "site_share": {s: v[0] for s, v in SITES.items()},
        "baseline_monthly_hazard": {s: v[5] for s, v in SITES.items()},
        "hazard_ratio": {s: {c[0]: c[4] for c in cats} for s, cats in BURDEN.items()},
        "hazard_ratio_nodes_not_examined": HR_NOT_EXAMINED,
        "age_log_hr_per_year": AGE_LOG_HR,
        "other_hazard_per_month": OTHER_HAZARD,
        "other_age_log_hr_per_year": OTHER_AGE_LOG_HR,
        "loss_hazard_per_month": LOSS_HAZARD,
    }


def _generator(seed: int, block: int) -> np.random.Generator:
    """The generator of block ``block``: the seed's own for the first block
    (so an extract of at most :data:`BLOCK` records is what the seed gave
    before extracts were written in chunks), the seed's ``block``-th spawned
    child after it. Every block draws from its own stream, so a block's
    records do not depend on how many blocks are generated at a time."""
    if block == 0:
        return np.random.default_rng(seed)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))


def frames(n: int, seed: int, *, chunk: int = CHUNK):
    """Yield (extract, per-record truth, invalid counts so far) a chunk at a time.

    Records are drawn in blocks of :data:`BLOCK` records, each from its own
    generator (:func:`_generator`), so they depend on ``seed`` only: a chunk
    is ``chunk`` records rounded up to whole blocks, and any chunk size
    gives the same records. Memory is bounded by the chunk, whatever ``n``.
    A patient's tumours never straddle a block (nor a chunk): every block
    starts a new patient, and patient ids continue from the previous block.

    Examples
    --------
    >>> [df.height for df, _, _ in frames(250, 1)]
    [250]
    """
    per_chunk = max(1, -(-chunk // BLOCK))
    next_id = 1
    invalid: dict[str, int] = {}
    blocks = range(-(-n // BLOCK))
    for first in range(0, len(blocks), per_chunk):
        parts, truths = [], []
        for block in blocks[first:first + per_chunk]:
            size = min(BLOCK, n - block * BLOCK)
            df, truth_frame, counts = _batch(_generator(seed, block), size, next_id)
            for k, v in counts.items():
                invalid[k] = invalid.get(k, 0) + v
            next_id = int(df["patient_id"].cast(pl.Int64).max()) + 1
            parts.append(df)
            truths.append(truth_frame)
        del df, truth_frame
        out = pl.concat(parts) if len(parts) > 1 else parts[0]
        truth_out = pl.concat(truths) if len(truths) > 1 else truths[0]
        parts.clear()
        truths.clear()
        yield out, truth_out, dict(invalid)
        # drop this chunk before drawing the next: the peak is one chunk
        del out, truth_out


def write(
    path: str | Path,
    *,
    n: int = 10_000,
    seed: int = 2026,
    format: str | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write a synthetic extract (CSV, gzip CSV, Parquet, NAACCR XML, NAACCR
    fixed-width or a SEER*Stat export) and its truth sidecar.

    Parameters
    ----------
    path
        Output file; ``.parquet`` writes Parquet, ``.xml`` NAACCR XML, ``.gz``
        compresses CSV or XML.
    n, seed
        Number of tumour records and the random seed.
    format
        ``csv``, ``parquet``, ``naaccr-xml``, ``naaccr-flat`` (v18
        incidence records), ``seerstat-labels`` or ``seerstat-numeric`` (a
        SEER*Stat case listing, ``.txt`` or ``.gz``, with its ``.dic``
        beside it: see :mod:`cohort.synth_seerstat`); default from the file
        name (CSV unless ``.parquet`` or ``.xml``).
    chunk
        Records generated and written at a time (rounded up to whole blocks
        of :data:`BLOCK`): memory is bounded by the chunk, not by ``n``
        (about 1.2 GB per million records of chunk). The records do not
        depend on it.
    progress
        Called as ``progress(done, n)`` after each chunk is written.

    Notes
    -----
    Records are drawn in blocks of :data:`BLOCK`, each from its own stream
    of the seed (:func:`frames`), so a seed gives the same file whatever the
    chunk size, and an extract of at most :data:`BLOCK` records is the one
    the seed gave before extracts were written in chunks.
    NAACCR XML groups consecutive tumours of a patient under one Patient,
    whose items (sex, date of last contact, vital status, cause of death)
    the generator keeps identical across the patient's tumours. The v18
    fixed-width layout has no p16 (item 3956 came with v21, after the last
    fixed-width layout), so ``p16_code`` is not written there; a value too
    wide for its field (the deliberately invalid ``150`` in the two-column
    regional nodes positive) is written as ``?`` characters, still invalid.

    Returns
    -------
    Path
        The extract. Beside it: ``<name>.truth.json`` (the generating model)
        and ``<name>.truth.parquet`` (per record: patient_id, tumor_seq, true
        site_group and node_burden).

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> p = write(pathlib.Path(tempfile.mkdtemp()) / "x.csv", n=50, seed=7)
    >>> pl.read_csv(p, infer_schema=False).height
    50
    """
    path = Path(path)
    stem = path.name.removesuffix(".gz")
    fmt = format or (
        "parquet" if path.suffix == ".parquet" else "naaccr-xml" if stem.endswith(".xml") else "csv"
    )
    import pyarrow.parquet as pq

    if fmt in ("seerstat-labels", "seerstat-numeric"):
        return _write_seerstat(path, n=n, seed=seed, numeric=fmt == "seerstat-numeric",
                               chunk=chunk, progress=progress)
    invalid: dict[str, int] = {}
    truth_writer = None
    extract_writer = None
    opener = None
    if fmt in ("csv", "naaccr-xml", "naaccr-flat"):
        import gzip

        opener = (gzip.open if path.suffix == ".gz" else open)(path, "wb")
    elif fmt != "parquet":
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    try:
        if fmt == "naaccr-xml":
            opener.write(XML_HEAD.encode())
        done = 0
        for i, (df, truth_frame, so_far) in enumerate(frames(n, seed, chunk=chunk)):
            invalid = so_far
            if fmt == "naaccr-xml":
                _write_xml(opener, df)
            elif fmt == "naaccr-flat":
                _write_flat(opener, df)
            elif opener is not None:
                df.write_csv(opener, include_header=(i == 0))
            else:
                table = df.to_arrow()
                extract_writer = extract_writer or pq.ParquetWriter(path, table.schema)
                extract_writer.write_table(table)
                del table
            t = truth_frame.to_arrow()
            truth_writer = truth_writer or pq.ParquetWriter(str(path) + ".truth.parquet", t.schema)
            truth_writer.write_table(t)
            done += df.height
            del df, truth_frame, t  # free this chunk before the next is drawn
            if progress is not None:
                progress(done, n)
        if fmt == "naaccr-xml":
            opener.write(b"</NaaccrData>\n")
    finally:
        for w in (opener, extract_writer, truth_writer):
            if w is not None:
                w.close()
    meta = truth(n, seed) | {"invalid_values": invalid}
    Path(str(path) + ".truth.json").write_text(json.dumps(meta, indent=2) + "\n")
    return path


def _write_seerstat(path: Path, *, n: int, seed: int, numeric: bool, chunk: int,
                    progress: Callable[[int, int], None] | None) -> Path:
    """A SEER*Stat case listing (labels or numeric) and its ``.dic``, with the
    same records and truth sidecars as the other formats."""
    import pyarrow.parquet as pq

    from cohort.synth_seerstat import write_export

    state: dict = {"invalid": {}, "writer": None, "done": 0}

    def records():
        for df, truth_frame, invalid in frames(n, seed, chunk=chunk):
            state["invalid"] = invalid
            t = truth_frame.to_arrow()
            state["writer"] = state["writer"] or pq.ParquetWriter(
                str(path) + ".truth.parquet", t.schema)
            state["writer"].write_table(t)
            del truth_frame, t
            if state["done"] and progress is not None:
                progress(state["done"], n)  # the previous chunk is written
            state["done"] += df.height
            yield df
            del df

    try:
        write_export(records(), path, numeric=numeric)
    finally:
        if state["writer"] is not None:
            state["writer"].close()
    if progress is not None:
        progress(state["done"], n)
    meta = truth(n, seed) | {"invalid_values": state["invalid"]}
    Path(str(path) + ".truth.json").write_text(json.dumps(meta, indent=2) + "\n")
    return path
