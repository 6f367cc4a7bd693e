"""The synthetic extract's staging, tumour, treatment and person items.

:func:`add` codes each record's latent truth into the registry items of its
year of diagnosis, as a registry would: AJCC 6th edition (2004-2009), 6th
and 7th (2010-2015), SEER combined (2016-2017) and EOD 2018 (2018+) T, N, M
and stage group; CS lymph nodes; grade (440 through 2017, clinical and
pathological from 2018); tumour size; breast receptors through CS
site-specific factors (2004-2017) or the 2018+ summaries; treatment and its
sequence; race, origin and marital status; and SEER's recodes of them
(written to CSV and Parquet only: they have no NAACCR item).

The truth (:data:`TRUTH_COLUMNS`) is drawn first and correlated with the
node burden: higher burden, higher grade and larger T; rectum, breast and
esophagus cases get neoadjuvant therapy at realistic rates.
"""

from __future__ import annotations

import numpy as np
import polars as pl

# drawn per record, in this order, after the base generator's draws
_UNIFORMS = ("g_u", "t_u", "n_u", "nx_u", "m_u", "sub_u", "er_u", "pr_u", "neo_u", "chemo_u",
             "rad_u", "surg_u", "race_u", "race_u2", "hisp_u", "mar_u", "size_u", "misc_u")
TRUTH_COLUMNS = ("n_stage_group", "t_stage", "grade_group", "race_group", "subtype",
                 "neoadjuvant")
# SEER recodes: written to CSV and Parquet, not to NAACCR files (no item)
SEER_RECODES = ("er_status_recode", "pr_status_recode", "her2_recode", "breast_subtype",
                "radiation_recode", "chemo_recode", "origin_recode", "race_recode",
                "race_origin_recode", "first_malignant", "tumors_total", "cod_site_recode")
# patient-level items: one value per patient (NAACCR XML puts them on the Patient)
PATIENT_COLUMNS = ("race", "hispanic_origin", "nhia_origin", "origin_recode", "race_recode",
                   "race_origin_recode", "tumors_total", "cod_site_recode")

_SURGERY = {"breast": "22", "colon": "30", "rectum": "40", "stomach": "30", "esophagus": "30",
            "pancreas": "35", "lung": "33", "melanoma": "45", "head_neck": "30", "other": "27"}
_COD_SITE = {"breast": "26000", "colon": "21040", "rectum": "21050", "stomach": "21020",
             "esophagus": "21010", "pancreas": "21100", "lung": "22030", "melanoma": "25010"}
_COD_TOPOGRAPHY = {"C019": "20020", "C021": "20020", "C069": "20050", "C090": "20070",
                   "C100": "20080", "C320": "22020", "C445": "25020", "C447": "25020",
                   "C619": "28010"}
_API = ["04", "05", "06", "16", "96"]
_COUNT_BASED = ["breast", "colon", "rectum", "stomach", "esophagus", "pancreas", "melanoma"]


def draw(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """The uniforms the items are coded from (drawn after the base model's)."""
    u = rng.random((n, len(_UNIFORMS)))
    return pl.DataFrame({name: u[:, i] for i, name in enumerate(_UNIFORMS)})


def _pick(u: pl.Expr, choices: list[tuple[float, str]], last: str) -> pl.Expr:
    """The first choice whose cumulative share exceeds ``u``."""
    expr = pl.lit(last)
    total = sum(p for p, _ in choices)
    for p, value in reversed(choices):
        expr = pl.when(u < total).then(pl.lit(value)).otherwise(expr)
        total -= p
    return expr


def _latent() -> list[pl.Expr]:
    """Latent grade (1-3, 9 unknown), T (1-4, X), staged N group, receptors,
    treatment and race, from the uniforms and the base model's columns."""
    c = pl.col
    r = c("rank")
    site = c("site_group")
    grade = (
        pl.when(c("dco") | (c("g_u") < 0.08)).then(pl.lit("9"))
        .when(c("g_u") < 0.08 + 0.92 * (0.30 - 0.20 * r)).then(pl.lit("1"))
        .when(c("g_u") < 0.08 + 0.92 * (0.75 - 0.35 * r)).then(pl.lit("2"))
        .otherwise(pl.lit("3"))
    )
    t = (
        pl.when(c("dco") | (c("t_u") < 0.03)).then(pl.lit("X"))
        .when(c("t_u") < 0.03 + 0.97 * (0.45 - 0.30 * r)).then(pl.lit("1"))
        .when(c("t_u") < 0.03 + 0.97 * (0.80 - 0.30 * r)).then(pl.lit("2"))
        .when(c("t_u") < 0.03 + 0.97 * (0.93 - 0.20 * r)).then(pl.lit("3"))
        .otherwise(pl.lit("4"))
    )
    deposits = c("tumor_deposits_code").str.contains(r"^(0[1-9]|[1-9][0-9]|X1|X2)$").fill_null(
        False
    )
    node_plus = {
        "lung": [(0.45, "N1"), (0.45, "N2")], "head_neck": [(0.25, "N1"), (0.65, "N2")],
    }
    plus = pl.when(site == "lung").then(_pick(c("n_u"), node_plus["lung"], "N3")).when(
        site == "head_neck").then(_pick(c("n_u"), node_plus["head_neck"], "N3")).otherwise(
        _pick(c("n_u"), [(0.7, "N1")], "N2"))
    group = (
        pl.when(site.is_in(["colon", "rectum"]) & (c("positive") == 0) & deposits)
        .then(pl.lit("N1"))  # tumour deposits without positive nodes: AJCC N1c
        .when(site.is_in(_COUNT_BASED)).then(c("category").str.slice(0, 2))
        .when(c("category") == "N0").then(pl.lit("N0"))
        .otherwise(plus)
    )
    staged = (
        pl.when(c("dco") | (c("nx_u") < 0.02)).then(pl.lit("NX"))
        .when(~c("examined_any") & (c("nx_u") < 0.5)).then(pl.lit("NX"))  # no clinical N
        .otherwise(group)
    )
    breast = site == "breast"
    sub = pl.when(breast & (c("dx_year") >= 2010)).then(
        _pick(c("sub_u"), [(0.70, "HR+/HER2-"), (0.10, "HR+/HER2+"), (0.05, "HR-/HER2+"),
                           (0.11, "HR-/HER2-")], "unknown")
    ).when(breast).then(_pick(c("sub_u"), [(0.78, "HR+"), (0.18, "HR-")], "unknown"))
    neo_share = pl.when(site == "rectum").then(0.40).when(site == "esophagus").then(0.30).when(
        breast).then(0.15).otherwise(0.0)
    surgery_done = c("examined_any") & ~c("dco")
    neo = surgery_done & (c("neo_u") < neo_share)
    node_positive = surgery_done & (c("category") != "N0")
    chemo = neo | (node_positive & (c("chemo_u") < 0.65)) | (c("chemo_u") < 0.12)
    rad_share = pl.when(site == "rectum").then(0.35).when(breast).then(0.55).when(
        site == "head_neck").then(0.6).when(site == "lung").then(0.25).otherwise(0.1)
    rad = (site == "rectum") & neo | (c("rad_u") < rad_share)
    race = _pick(c("race_u"), [(0.75, "01"), (0.12, "02"), (0.01, "03"), (0.07, "API"),
                               (0.02, "98")], "99")
    api = (c("race_u2") * len(_API)).floor().cast(pl.Int64).replace_strict(
        dict(enumerate(_API)), return_dtype=pl.Utf8)
    race = pl.when(race == "API").then(api).otherwise(race)
    return [
        grade.alias("_grade"), t.alias("_t"), staged.alias("_n"), sub.alias("_subtype"),
        neo.alias("_neo"), (chemo & ~c("dco")).alias("_chemo"), (rad & ~c("dco")).alias("_rad"),
        surgery_done.alias("_surgery"), race.alias("_race"),
        (c("hisp_u") < 0.12).alias("_hispanic"),
        (c("misc_u") < 0.03).alias("_seq_unknown"),
    ]


def _staging() -> list[pl.Expr]:
    c = pl.col
    year, n, t = c("dx_year"), c("_n"), c("_t")
    m1 = c("m_u") < 0.05
    stage = (
        pl.when(m1).then(pl.lit("4"))
        .when((n == "NX") | (t == "X")).then(pl.lit("9"))
        .when(n == "N0").then(pl.when(t == "1").then(pl.lit("1")).when(t == "4").then(
            pl.lit("3")).otherwise(pl.lit("2")))
        .otherwise(pl.lit("3"))
    )
    n_digit = n.str.slice(1, 1)
    sub = c("nx_u") > 0.7  # a subcategory now and then (N1a, T1a, ...)
    n6 = pl.when(n == "NX").then(pl.lit("99")).when(sub & (n != "N0")).then(n_digit + "1").when(
        sub & (c("site_group") == "breast")).then(pl.lit("02")).otherwise(n_digit + "0")
    t6 = pl.when(t == "X").then(pl.lit("99")).when(sub).then(t + "2").otherwise(t + "0")
    m6 = pl.when(m1).then(pl.lit("10")).otherwise(pl.lit("00"))
    s6 = stage.replace_strict({"1": "10", "2": "30", "3": "50", "4": "70", "9": "99"})

    def seventh(code: pl.Expr) -> pl.Expr:
        return pl.when(code == "99").then(pl.lit("999")).otherwise(code + "0")

    prefix = pl.when(c("_surgery")).then(pl.lit("p")).otherwise(pl.lit("c"))
    cmb_n = prefix + pl.when(n == "NX").then(pl.lit("X")).when(sub & (n != "N0")).then(
        n_digit + "A").otherwise(n_digit)
    cmb_t = prefix + t
    eod_n = pl.when(n == "NX").then(pl.lit("NX")).when(sub & (n != "N0")).then(n + "a").when(
        sub & (c("site_group") == "breast")).then(pl.lit("N0(i+)")).otherwise(n)
    eod_t = pl.when(t == "X").then(pl.lit("TX")).when(sub).then("T" + t + "c").otherwise("T" + t)
    cs6 = year.is_between(2004, 2015)
    cs7 = year.is_between(2010, 2015)
    cmb = year.is_between(2016, 2017)
    eod = year >= 2018
    return [
        pl.when(cs6).then(t6).alias("ajcc6_t"),
        pl.when(cs6).then(n6).alias("ajcc6_n"),
        pl.when(cs6).then(m6).alias("ajcc6_m"),
        pl.when(cs6).then(s6).alias("ajcc6_stage"),
        pl.when(cs7).then(seventh(t6)).alias("ajcc7_t"),
        pl.when(cs7).then(seventh(n6)).alias("ajcc7_n"),
        pl.when(cs7).then(seventh(m6)).alias("ajcc7_m"),
        pl.when(cs7).then(seventh(s6)).alias("ajcc7_stage"),
        pl.when(cmb).then(cmb_t).alias("seer_cmb_t"),
        pl.when(cmb).then(cmb_n).alias("seer_cmb_n"),
        pl.when(cmb).then(pl.when(m1).then(pl.lit("p1")).otherwise(pl.lit("c0")))
        .alias("seer_cmb_m"),
        pl.when(cmb).then(pl.when(stage == "9").then(pl.lit("99")).otherwise(stage + "A"))
        .alias("seer_cmb_stage"),
        pl.when(eod).then(eod_t).alias("eod2018_t"),
        pl.when(eod).then(eod_n).alias("eod2018_n"),
        pl.when(eod).then(pl.when(m1).then(pl.lit("M1")).otherwise(pl.lit("M0")))
        .alias("eod2018_m"),
        pl.when(eod).then(pl.when(stage == "9").then(pl.lit("99")).otherwise(stage))
        .alias("eod2018_stage"),
        pl.when(cs6).then(pl.when(n == "NX").then(pl.lit("999")).otherwise(n_digit + "00"))
        .alias("cs_lymph_nodes"),
    ]


def _tumour() -> list[pl.Expr]:
    c = pl.col
    year, grade, t = c("dx_year"), c("_grade"), c("_t")
    recent = year >= 2018
    letters = (c("site_group") != "breast") & (c("misc_u") > 0.5)
    path_code = pl.when(letters & grade.is_in(["1", "2", "3"])).then(
        grade.replace_strict({"1": "A", "2": "B", "3": "C"}, default="9")).otherwise(grade)
    lo = t.replace_strict({"1": 5, "2": 21, "3": 51, "4": 20}, default=0, return_dtype=pl.Int64)
    hi = t.replace_strict({"1": 20, "2": 50, "3": 100, "4": 120}, default=0, return_dtype=pl.Int64)
    mm = lo + (c("size_u") * (hi - lo + 1)).floor().cast(pl.Int64)
    size = pl.when((t == "X") | (c("size_u") > 0.99)).then(pl.lit("999")).otherwise(
        mm.cast(pl.Utf8).str.zfill(3))
    paired = c("site_group").is_in(["breast", "lung"])
    return [
        pl.when(~recent).then(grade).alias("grade"),
        # clinical grade is often not recorded when the tumour was resected
        pl.when(recent).then(pl.when(c("_surgery") & (c("g_u") > 0.7)).then(pl.lit("9"))
                             .otherwise(grade)).alias("grade_clinical"),
        pl.when(recent).then(pl.when(c("_surgery")).then(path_code).otherwise(pl.lit("9")))
        .alias("grade_pathological"),
        pl.when(year >= 2016).then(size).alias("tumor_size_summary"),
        pl.when(year.is_between(2004, 2015)).then(size).alias("cs_tumor_size"),
        pl.when(paired).then(pl.when(c("misc_u") < 0.01).then(pl.lit("9")).when(
            c("size_u") < 0.5).then(pl.lit("1")).otherwise(pl.lit("2"))).otherwise(pl.lit("0"))
        .alias("laterality"),
        pl.when(c("dco")).then(pl.lit("9")).when(c("misc_u") < 0.03).then(pl.lit("2"))
        .otherwise(pl.lit("1")).alias("diagnostic_confirmation"),
    ]


def _receptors() -> list[pl.Expr]:
    c = pl.col
    year, sub = c("dx_year"), c("_subtype")
    hr_pos = sub.str.starts_with("HR+")
    hr_neg = sub.str.starts_with("HR-")
    er = pl.when(hr_pos & (c("er_u") < 0.92)).then(pl.lit("pos")).when(hr_pos | hr_neg).then(
        pl.lit("neg")).when(sub.is_not_null()).then(pl.lit("unk"))
    pr = pl.when(hr_pos & ((er == "neg") | (c("pr_u") < 0.85))).then(pl.lit("pos")).when(
        hr_pos | hr_neg).then(pl.lit("neg")).when(sub.is_not_null()).then(pl.lit("unk"))
    her2 = pl.when(sub.str.ends_with("HER2+")).then(pl.lit("pos")).when(
        sub.str.ends_with("HER2-")).then(pl.lit("neg")).when(sub.is_not_null()).then(
        pl.lit("unk"))
    cs, recent = year.is_between(2004, 2017), year >= 2018

    def ssf(status):
        return status.replace_strict({"pos": "010", "neg": "020", "unk": "999"}, default=None)

    def summary(status):
        return status.replace_strict({"pos": "1", "neg": "0", "unk": "9"}, default=None)

    def recode(status):
        return status.replace_strict({"pos": "1", "neg": "2", "unk": "3"}, default=None)

    colon_cs = (c("site_group") == "colon") & year.is_between(2004, 2015)
    cea = _pick(c("er_u"), [(0.3, "010"), (0.4, "020")], "999")
    subtype_code = {"HR+/HER2-": "1", "HR+/HER2+": "2", "HR-/HER2+": "3", "HR-/HER2-": "4"}
    breast = c("site_group") == "breast"
    return [
        pl.when(recent).then(summary(er)).alias("er_summary"),
        pl.when(recent).then(summary(pr)).alias("pr_summary"),
        pl.when(recent).then(summary(her2)).alias("her2_summary"),
        pl.when(cs & breast).then(ssf(er)).when(colon_cs).then(cea).alias("cs_ssf1"),
        pl.when(cs & breast).then(ssf(pr)).alias("cs_ssf2"),
        pl.when(cs & breast & (year >= 2010)).then(ssf(her2)).when(cs & breast).then(
            pl.lit("988")).alias("cs_ssf15"),
        recode(er).alias("er_status_recode"),
        recode(pr).alias("pr_status_recode"),
        pl.when(breast & (year >= 2010)).then(recode(her2)).when(breast).then(pl.lit("4"))
        .alias("her2_recode"),
        pl.when(breast & (year >= 2010)).then(sub.replace_strict(subtype_code, default="5"))
        .when(breast).then(pl.lit("9")).alias("breast_subtype"),
    ]


def _treatment() -> list[pl.Expr]:
    c = pl.col
    site, neo, chemo, rad, surg = (c("site_group"), c("_neo"), c("_chemo"), c("_rad"),
                                   c("_surgery"))
    dco, exam = c("dco"), c("examined")
    surgery_code = site.replace_strict(_SURGERY, default="27")
    surgery_code = pl.when((site == "breast") & (c("surg_u") < 0.4)).then(pl.lit("41")).otherwise(
        surgery_code)
    sentinel_site = site.is_in(["breast", "melanoma"])
    scope = (
        pl.when(dco).then(pl.lit("9"))
        .when(~surg).then(pl.lit("0"))
        .when(c("surg_u") > 0.98).then(pl.lit("9"))
        .when(sentinel_site & (exam <= 3)).then(pl.lit("2"))
        .when(sentinel_site).then(pl.lit("6"))
        .when(exam <= 3).then(pl.lit("4"))
        .otherwise(pl.lit("5"))
    )
    systemic_seq = (
        pl.when(dco | c("_seq_unknown")).then(pl.lit("9"))
        .when(~surg).then(pl.lit("0"))
        .when(neo).then(pl.when(c("neo_u") < 0.1).then(pl.lit("4")).otherwise(pl.lit("2")))
        .when(chemo).then(pl.lit("3"))
        .otherwise(pl.lit("0"))
    )
    rad_seq = (
        pl.when(dco).then(pl.lit("9"))
        .when(~surg | ~rad).then(pl.lit("0"))
        .when(neo & (site == "rectum")).then(pl.lit("2"))
        .otherwise(pl.lit("3"))
    )
    chemo_code = pl.when(dco | (c("chemo_u") > 0.985)).then(pl.lit("99")).when(chemo).then(
        pl.when(c("chemo_u") < 0.2).then(pl.lit("02")).otherwise(pl.lit("03"))).otherwise(
        pl.when(c("chemo_u") > 0.97).then(pl.lit("87")).otherwise(pl.lit("00")))
    rad_code = pl.when(dco | (c("rad_u") > 0.99)).then(pl.lit("9")).when(rad).then(
        pl.lit("1")).otherwise(pl.lit("0"))
    return [
        pl.when(dco).then(pl.lit("99")).when(surg).then(surgery_code).when(
            c("surg_u") < 0.85).then(pl.lit("00")).otherwise(pl.lit("99"))
        .alias("surgery_primary_site"),
        scope.alias("ln_surgery_scope"),
        systemic_seq.alias("systemic_surgery_seq"),
        rad_seq.alias("radiation_surgery_seq"),
        rad_code.alias("rx_radiation"),
        rad_code.replace_strict({"1": "1"}, default="0").alias("radiation_recode"),
        chemo_code.alias("rx_chemo"),
        chemo_code.is_in(["01", "02", "03"]).cast(pl.Int8).cast(pl.Utf8).alias("chemo_recode"),
    ]


def _person() -> list[pl.Expr]:
    c = pl.col
    race, hisp = c("_race"), c("_hispanic")
    nhia = pl.when(hisp).then(_pick(c("race_u2"), [(0.6, "1"), (0.25, "4")], "6")).otherwise(
        pl.lit("0"))
    race4 = race.replace_strict({"01": "1", "02": "2", "03": "3", "98": "7", "99": "9"},
                                default="4")
    old = c("age") >= 75
    marital = pl.when(old).then(_pick(c("mar_u"), [(0.05, "1"), (0.45, "2"), (0.10, "4"),
                                                   (0.35, "5")], "9")).otherwise(
        _pick(c("mar_u"), [(0.18, "1"), (0.55, "2"), (0.03, "3"), (0.13, "4"), (0.04, "5"),
                           (0.04, "6")], "9"))
    dead, cancer = c("dead") | c("dco"), c("cancer_death") | c("dco")
    cod_unknown = dead & (c("u2") > 0.97)  # as the base model's cause of death 7797
    cod_site = pl.coalesce(c("primary_site").replace_strict(_COD_TOPOGRAPHY, default=None),
                           c("site_group").replace_strict(_COD_SITE, default=None))
    return [
        race.alias("race"),
        nhia.alias("hispanic_origin"),
        nhia.alias("nhia_origin"),
        hisp.cast(pl.Int8).cast(pl.Utf8).alias("origin_recode"),
        race4.alias("race_recode"),
        pl.when(hisp).then(pl.lit("5")).when(race4 == "7").then(pl.lit("9")).otherwise(race4)
        .alias("race_origin_recode"),
        marital.alias("marital_status"),
        c("tumor_seq").is_in(["00", "01"]).cast(pl.Int8).cast(pl.Utf8).alias("first_malignant"),
        pl.len().over("patient_id").cast(pl.Utf8).str.zfill(2).alias("tumors_total"),
        pl.when(~dead).then(pl.lit("00000")).when(cod_unknown).then(pl.lit("41000"))
        .when(cancer).then(cod_site).otherwise(pl.lit("50060")).alias("cod_site_recode"),
    ]


def _truth() -> list[pl.Expr]:
    c = pl.col
    grade = c("_grade").replace_strict({"1": "G1", "2": "G2", "3": "G3"}, default="unknown")
    race = (
        pl.when(c("_hispanic")).then(pl.lit("Hispanic"))
        .when(c("_race") == "01").then(pl.lit("NH White"))
        .when(c("_race") == "02").then(pl.lit("NH Black"))
        .when(c("_race") == "03").then(pl.lit("NH AIAN"))
        .when(c("_race").is_in(_API)).then(pl.lit("NH API"))
        .otherwise(pl.lit("unknown"))
    )
    subtype = pl.when(c("site_group") == "breast").then(
        pl.when(c("_subtype").str.contains("/")).then(c("_subtype")).otherwise(pl.lit("unknown")))
    neo = pl.when(c("dco") | (c("_seq_unknown") & ~(c("_neo") & (c("site_group") == "rectum")))
                  ).then(pl.lit(None, pl.Boolean)).otherwise(c("_neo"))
    return [
        c("_n").alias("n_stage_group"),
        pl.when(c("dco") | (c("_t") == "X")).then(pl.lit("TX")).otherwise("T" + c("_t"))
        .alias("t_stage"),
        grade.alias("grade_group"),
        race.alias("race_group"),
        subtype.alias("subtype"),
        neo.alias("neoadjuvant"),
    ]


def add(latent: pl.DataFrame, coded: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Code the items of every record: ``latent`` holds the base model's
    columns (site_group, dx_year, examined_any, dco, category, positive,
    examined, age, dead, cancer_death, u2, rank) and :func:`draw`'s uniforms;
    ``coded`` the extract's items so far (same rows). Returns the extract
    with the new items (``grade`` replaced) and the per-record truth."""
    work = pl.concat([latent, coded.drop("grade")], how="horizontal")
    # what belongs to the patient is drawn once per patient
    patient = ["race_u", "race_u2", "hisp_u"]
    work = work.with_columns(pl.col(u).first().over("patient_id") for u in patient)
    work = work.with_columns(_latent())
    new = [*_staging(), *_tumour(), *_receptors(), *_treatment(), *_person()]
    work = work.with_columns(new)
    names = [e.meta.output_name() for e in new]
    order = [*(n if n != "grade" else "grade" for n in coded.columns),
             *(n for n in names if n not in coded.columns)]
    return work.select(order), work.select(_truth())


# The new items in a synthetic SEER*Stat case listing: (SEER*Stat variable,
# item, labelled?). Labelled variables print the label of seer_values.csv
# (the first of a code's labels); the others print the code, as SEER*Stat
# prints those variables.
SEERSTAT_VARIABLES = (
    ("Derived AJCC T, 6th ed (2004-2015)", "ajcc6_t", True),
    ("Derived AJCC N, 6th ed (2004-2015)", "ajcc6_n", True),
    ("Derived AJCC M, 6th ed (2004-2015)", "ajcc6_m", True),
    ("Derived AJCC Stage Group, 6th ed (2004-2015)", "ajcc6_stage", True),
    ("Derived AJCC T, 7th ed (2010-2015)", "ajcc7_t", True),
    ("Derived AJCC N, 7th ed (2010-2015)", "ajcc7_n", True),
    ("Derived AJCC M, 7th ed (2010-2015)", "ajcc7_m", True),
    ("Derived AJCC Stage Group, 7th ed (2010-2015)", "ajcc7_stage", True),
    ("Derived SEER Combined T (2016-2017)", "seer_cmb_t", False),
    ("Derived SEER Combined N (2016-2017)", "seer_cmb_n", False),
    ("Derived SEER Combined M (2016-2017)", "seer_cmb_m", False),
    ("Derived SEER Cmb Stg Grp (2016-2017)", "seer_cmb_stage", False),
    ("Derived EOD 2018 T (2018+)", "eod2018_t", False),
    ("Derived EOD 2018 N (2018+)", "eod2018_n", False),
    ("Derived EOD 2018 M (2018+)", "eod2018_m", False),
    ("Derived EOD 2018 Stage Group (2018+)", "eod2018_stage", False),
    ("CS lymph nodes (2004-2015)", "cs_lymph_nodes", False),
    ("Grade (thru 2017)", "grade", True),
    ("Grade Clinical (2018+)", "grade_clinical", False),
    ("Grade Pathological (2018+)", "grade_pathological", False),
    ("Tumor Size Summary (2016+)", "tumor_size_summary", False),
    ("CS tumor size (2004-2015)", "cs_tumor_size", False),
    ("Laterality", "laterality", True),
    ("Diagnostic Confirmation", "diagnostic_confirmation", True),
    ("ER Status Recode Breast Cancer (1990+)", "er_status_recode", True),
    ("PR Status Recode Breast Cancer (1990+)", "pr_status_recode", True),
    ("Derived HER2 Recode (2010+)", "her2_recode", True),
    ("Breast Subtype (2010+)", "breast_subtype", True),
    ("RX Summ--Surg Prim Site (1998+)", "surgery_primary_site", False),
    ("RX Summ--Scope Reg LN Sur (2003+)", "ln_surgery_scope", True),
    ("RX Summ--Systemic/Sur Seq (2007+)", "systemic_surgery_seq", True),
    ("RX Summ--Surg/Rad Seq", "radiation_surgery_seq", True),
    ("Radiation recode", "radiation_recode", True),
    ("Chemotherapy recode (yes, no/unk)", "chemo_recode", True),
    ("Race recode (W, B, AI, API)", "race_recode", True),
    ("Origin recode NHIA (Hispanic, Non-Hisp)", "origin_recode", True),
    ("Race and origin recode (NHW, NHB, NHAIAN, NHAPI, Hispanic)", "race_origin_recode", True),
    ("Marital status at diagnosis", "marital_status", True),
    ("First malignant primary indicator", "first_malignant", True),
    ("Total number of in situ/malignant tumors for patient", "tumors_total", False),
)


def seerstat_variables() -> list[tuple[str, str, dict | None]]:
    """The new items as :func:`cohort.synth_seerstat.variables` lists them:
    (SEER*Stat variable, item, {code: label} or None)."""
    import csv
    from importlib import resources

    text = resources.files("cohort").joinpath("data", "seer_values.csv").read_text("utf-8")
    first: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(text.splitlines()):
        first.setdefault(row["item"], {}).setdefault(row["code"], row["label"])
    return [(name, item, first[item] if labelled else None)
            for name, item, labelled in SEERSTAT_VARIABLES]
