"""How the synthetic extract codes its latent truth into registry items.

:func:`columns` turns the base model's draws (site, node counts, survival,
the uniforms ``u``, ``u2``, ``u3``) into the extract's NAACCR-coded columns;
:func:`true_burden` is the AJCC N category each record was generated to
carry, as far as its coded items can show it (the truth sidecar's
``node_burden``).
"""

from __future__ import annotations

import polars as pl


def true_burden() -> pl.Expr:
    """The AJCC 8th N category each record was generated to carry.

    The generator draws a category and a count inside it; what a registry
    item can show of it follows the coding: nodes not examined -> NX,
    positive with the count withheld (95/97, axillary X5/X6) -> N1 NOS,
    colorectal node-negative with tumour deposits -> N1c, p16-positive
    oropharynx -> N0/N1/N2 by count (1-4, 5+), other head and neck, lung and
    other sites -> NX (not count-based).
    """
    c = pl.col
    deposits = c("coded_deposits").str.contains(r"^(0[1-9]|[1-9][0-9]|X1|X2)$").fill_null(False)
    p16_oropharynx = (
        (c("site_group") == "head_neck")
        & c("primary_site").is_in(["C019", "C090", "C100"])
        & (c("coded_p16") == "1").fill_null(False)
    )
    site = c("site_group")
    return (
        pl.when(~c("examined_any") | c("dco")).then(pl.lit("NX"))
        .when(p16_oropharynx & c("coded_positive").is_in(["95", "97"])).then(pl.lit("N1 NOS"))
        .when(p16_oropharynx)
        .then(pl.when(c("positive") == 0).then(pl.lit("N0"))
              .when(c("positive") <= 4).then(pl.lit("N1")).otherwise(pl.lit("N2")))
        .when(site.is_in(["lung", "head_neck", "other"])).then(pl.lit("NX"))
        .when(c("coded_positive").is_in(["95", "97"])).then(pl.lit("N1 NOS"))
        .when(site.is_in(["colon", "rectum"]) & (c("positive") == 0) & deposits)
        .then(pl.lit("N1c"))
        .otherwise(c("category"))
    )


def code(expr: pl.Expr, width: int) -> pl.Expr:
    """A whole number as a zero-padded code of ``width`` digits."""
    return expr.cast(pl.Int64).cast(pl.Utf8).str.zfill(width)


def columns() -> list[pl.Expr]:
    """The extract's columns, coded from the drawn latent values of the base model."""
    c = pl.col
    after_2018 = c("dx_year") >= 2018
    site = c("site_group")
    exam = c("examined_any") & ~c("dco")
    pos = c("positive")
    # special node codes: 97 / 95 (positive, count unknown), examined 96-98
    # (count unknown), 90 (90 or more), unknown (99/99), and a few
    # positive > examined inconsistencies, as registries see them
    pos_code = (
        pl.when(~exam & (c("u") < 0.9)).then(pl.lit("98"))
        .when(~exam).then(pl.lit("99"))
        .when((pos > 0) & (c("u") < 0.010)).then(pl.lit("97"))
        .when((pos > 0) & (c("u") < 0.015)).then(pl.lit("95"))
        .when(pos >= 90).then(pl.lit("90"))
        .otherwise(code(pos, 2))
    )
    exam_code = (
        pl.when(~exam & (c("u") < 0.9)).then(pl.lit("00"))
        .when(~exam).then(pl.lit("99"))
        .when((pos > 0) & (c("u") >= 0.010) & (c("u") < 0.015)).then(pl.lit("95"))
        .when(c("u2") < 0.004).then(pl.lit("97"))
        .when(c("u2") < 0.008).then(pl.lit("96"))
        .when((pos >= 2) & (c("u2") > 0.997)).then(code(pos - 1, 2))  # positive > examined
        .when(c("examined") >= 90).then(pl.lit("90"))
        .otherwise(code(c("examined"), 2))
    )
    sentinel_site = site.is_in(["breast", "melanoma"]) & after_2018
    sentinel_exam = pl.when(sentinel_site & exam).then(
        code(pl.min_horizontal(c("examined"), pl.lit(3)), 2)
    ).when(sentinel_site).then(pl.lit("98"))
    sentinel_pos = pl.when(sentinel_site & exam).then(
        code(pl.min_horizontal(pos, pl.min_horizontal(c("examined"), pl.lit(3))), 2)
    ).when(sentinel_site).then(pl.lit("98"))
    hn = site == "head_neck"
    ene_hn_path = (
        pl.when(hn & after_2018 & exam & (pos > 0))
        .then(
            pl.when(c("u3") < 0.55).then(pl.lit("0.0"))
            .when(c("u3") < 0.65).then(pl.lit("X.2"))
            .when(c("u3") < 0.75).then(pl.lit("X.3"))
            .when(c("u3") < 0.85)
            .then(((c("u3") - 0.75) * 90 + 1).floor().cast(pl.Int64).cast(pl.Utf8) + ".5")
            .when(c("u3") < 0.90).then(pl.lit("X.1"))
            .when(c("u3") < 0.95).then(pl.lit("X.4"))
            .otherwise(pl.lit("X.9"))
        )
        .when(hn & after_2018 & exam).then(pl.lit("X.7"))
        .when(hn & after_2018).then(pl.lit("X.9"))
    )
    ene_hn_clin = (
        pl.when(hn & after_2018 & (pos > 0))
        .then(pl.when(c("u3") < 0.6).then(pl.lit("0")).when(c("u3") < 0.8).then(pl.lit("1"))
              .otherwise(pl.lit("9")))
        .when(hn & after_2018).then(pl.lit("7"))
    )
    merkel = (site == "other") & (c("histology") == "8247")
    ene_path = (
        pl.when(merkel & after_2018 & exam & (pos > 0))
        .then(pl.when(c("u3") < 0.7).then(pl.lit("0")).otherwise(pl.lit("1")))
        .when(merkel & after_2018 & exam).then(pl.lit("7"))
        .when(merkel & after_2018).then(pl.lit("9"))
    )
    ene_clin = pl.when(merkel & after_2018).then(
        pl.when(pos > 0).then(pl.lit("0")).otherwise(pl.lit("7"))
    )
    breast18 = (site == "breast") & after_2018
    axillary = (
        pl.when(breast18 & ~exam).then(pl.lit("X8"))
        .when(breast18 & (pos_code == "97")).then(pl.lit("X5"))
        .when(breast18 & (pos_code == "95")).then(pl.lit("X6"))
        .when(breast18 & (pos >= 100)).then(pl.lit("X1"))
        .when(breast18).then(code(pos, 2))
    )
    crc18 = site.is_in(["colon", "rectum"]) & after_2018
    deposits = (
        pl.when(crc18 & (c("u3") < 0.85)).then(pl.lit("00"))
        .when(crc18 & (c("u3") < 0.93)).then(code((c("u3") * 50).floor() - 42, 2))
        .when(crc18 & (c("u3") < 0.97)).then(pl.lit("X2"))
        .when(crc18).then(pl.lit("X9"))
    )
    oropharynx = hn & c("primary_site").is_in(["C019", "C090", "C100"]) & after_2018
    p16 = pl.when(oropharynx).then(
        pl.when(c("u2") < 0.6).then(pl.lit("1")).when(c("u2") < 0.9).then(pl.lit("0"))
        .otherwise(pl.lit("9"))
    )
    dx_date = (
        c("dx_year").cast(pl.Utf8) + code(c("dx_month"), 2) + code(c("dx_day"), 2)
    )
    months = pl.when(c("dco")).then(pl.lit(0)).otherwise(c("months"))
    dead = c("dead") | c("dco")
    contact = pl.date(c("dx_year"), c("dx_month"), c("dx_day")).dt.offset_by(
        months.cast(pl.Utf8) + "mo"
    )
    cod_unknown = dead & (c("u2") > 0.97)
    cancer = c("cancer_death") | c("dco")
    return [
        c("patient_id").cast(pl.Utf8).str.zfill(8).alias("patient_id"),
        c("tumor_seq"),
        c("sex"),
        pl.when(c("u3") > 0.998).then(pl.lit("999")).otherwise(code(c("age"), 3))
        .alias("age_at_dx"),
        dx_date.alias("dx_date"),
        c("primary_site"),
        c("histology"),
        c("behavior"),
        c("grade_draw").alias("grade"),  # replaced by synth_covariates.add
        c("reporting_source"),
        pos_code.alias("nodes_positive_code"),
        exam_code.alias("nodes_examined_code"),
        sentinel_exam.alias("sentinel_examined_code"),
        sentinel_pos.alias("sentinel_positive_code"),
        ene_clin.alias("ene_clin_code"),
        ene_hn_clin.alias("ene_hn_clin_code"),
        ene_hn_path.alias("ene_hn_path_code"),
        ene_path.alias("ene_path_code"),
        axillary.alias("ln_axillary_code"),
        deposits.alias("tumor_deposits_code"),
        p16.alias("p16_code"),
        contact.dt.strftime("%Y%m%d").alias("last_contact_date"),
        pl.when(dead).then(pl.lit("0")).otherwise(pl.lit("1")).alias("vital_status"),
        pl.when(c("u2").is_between(0.5, 0.503)).then(pl.lit("9999")).otherwise(code(months, 4))
        .alias("surv_months"),
        pl.when(c("dco")).then(pl.lit("8")).when(months == 0).then(pl.lit("0"))
        .otherwise(pl.lit("1")).alias("surv_flag"),
        pl.when(~dead).then(pl.lit("0000"))
        .when(cod_unknown).then(pl.lit("7797"))
        .when(cancer).then(c("primary_site").str.replace("C", "C", literal=True))
        .otherwise(pl.lit("I219")).alias("cause_of_death"),
        pl.when(c("tumor_seq") > "01").then(pl.lit("9"))
        .when(cod_unknown).then(pl.lit("8"))
        .when(dead & cancer).then(pl.lit("1")).otherwise(pl.lit("0")).alias("cause_specific_death"),
        pl.when(c("tumor_seq") > "01").then(pl.lit("9"))
        .when(cod_unknown).then(pl.lit("8"))
        .when(dead & ~cancer).then(pl.lit("1")).otherwise(pl.lit("0")).alias("other_cause_death"),
    ]
