"""Patient and tumour covariates ready for a Cox model: age band, race and
ethnicity, grade group, tumour size.

Each is an ordered categorical (the first level is the usual reference) or
a number, built from the detailed NAACCR items when the file has them and
from SEER's recodes otherwise, so a NAACCR extract and a SEER*Stat export of
the same tumours give the same covariate.
"""

from __future__ import annotations

import polars as pl

from cohort.codebook import grade_groups

AGE_BAND_LEVELS = ("<40", "40-49", "50-59", "60-69", "70-79", "80+")
RACE_GROUP_LEVELS = ("NH White", "NH Black", "NH AIAN", "NH API", "Hispanic", "unknown")
GRADE_GROUP_LEVELS = (
    "G1", "G2", "G3", "G4", "low", "intermediate", "high", "other", "unknown",
)

# Race 1 (item 160) codes of Asian and Pacific Islander groups
_API_RACE = [f"{c:02d}" for c in (*range(4, 9), *range(10, 18), *range(20, 23), *range(25, 29),
                                  *range(30, 33), 96, 97)]
_SIZE_EXACT = r"^(00[1-9]|0[1-9][0-9]|[1-8][0-9]{2}|9[0-8][0-9])$"  # 001-989 mm


def age_band() -> pl.Expr:
    """Ten-year age bands at diagnosis (<40, 40-49, ..., 80+). A SEER age
    recode that is a group rather than an exact age (``age_group``: 85+,
    45-49) gives its band when the group lies inside one; null when the age
    is unknown.

    >>> df = pl.DataFrame({"age_at_dx": [39, 40, 65, 80, None, None, None, None],
    ...                    "age_group": [None, None, None, None, "85+", "45-49", "75-84", None]},
    ...                   schema_overrides={"age_at_dx": pl.Int32, "age_group": pl.Utf8})
    >>> df.select(age_band())["age_band"].to_list()
    ['<40', '40-49', '60-69', '80+', '80+', '40-49', None, None]
    """

    def band(age: pl.Expr) -> pl.Expr:
        expr = pl.when(age < 40).then(pl.lit("<40"))
        for lo in (40, 50, 60, 70):
            expr = expr.when(age < lo + 10).then(pl.lit(f"{lo}-{lo + 9}"))
        return expr.when(age >= 80).then(pl.lit("80+"))

    group = pl.col("age_group")
    lo = group.str.extract(r"^([0-9]+)", 1).cast(pl.Int32, strict=False)
    hi = group.str.extract(r"^[0-9]+-([0-9]+)$", 1).cast(pl.Int32, strict=False)
    top = group.str.contains(r"^[0-9]+\+$")
    from_group = (
        pl.when(top & (lo >= 80)).then(pl.lit("80+"))
        .when(hi.is_not_null() & (band(lo) == band(hi))).then(band(lo))
    )
    return pl.coalesce(band(pl.col("age_at_dx")), from_group).cast(
        pl.Enum(AGE_BAND_LEVELS)).alias("age_band")


def _hispanic() -> pl.Expr:
    """True Hispanic, False not, null unknown: NHIA (191), else Spanish/Hispanic
    origin (190), else SEER's origin recode."""
    nhia, origin, recode = pl.col("nhia_origin"), pl.col("hispanic_origin"), pl.col("origin_recode")
    return pl.coalesce(
        pl.when(nhia.is_not_null()).then(nhia != "0"),
        pl.when(origin.is_in([str(c) for c in range(9)])).then(origin != "0"),
        pl.when(recode.is_in(["0", "1"])).then(recode == "1"),
    )


def _race4() -> pl.Expr:
    """White / Black / AIAN / API from Race 1 (160), else SEER's race recode."""
    race, recode = pl.col("race"), pl.col("race_recode")
    from_race = (
        pl.when(race == "01").then(pl.lit("White"))
        .when(race == "02").then(pl.lit("Black"))
        .when(race == "03").then(pl.lit("AIAN"))
        .when(race.is_in(_API_RACE)).then(pl.lit("API"))
        .when(race.is_not_null()).then(pl.lit("unknown"))  # 88, 98 other, 99
    )
    from_recode = (
        pl.when(recode == "1").then(pl.lit("White"))
        .when(recode == "2").then(pl.lit("Black"))
        .when(recode == "3").then(pl.lit("AIAN"))
        .when(recode == "4").then(pl.lit("API"))
        .when(recode.is_not_null()).then(pl.lit("unknown"))
    )
    return pl.coalesce(from_race, from_recode)


def race_group() -> pl.Expr:
    """Race and ethnicity as SEER's race and origin recode groups them:
    Hispanic (any race), else non-Hispanic White / Black / American Indian
    and Alaska Native / Asian and Pacific Islander; ``unknown`` for a
    non-Hispanic case of unknown or other race. From Race 1 (160) with NHIA
    (191) or Spanish/Hispanic origin (190) when present, else SEER's race
    recode with the origin recode, else the race and origin recode.

    >>> df = pl.DataFrame({"race": ["01", "02", "01", "16", "99", None],
    ...     "nhia_origin": ["0", "0", "1", None, "0", None],
    ...     "hispanic_origin": [None, None, None, "0", None, None],
    ...     "origin_recode": [None] * 6, "race_recode": [None] * 6,
    ...     "race_origin_recode": [None, None, None, None, None, "2"]},
    ...     schema_overrides={c: pl.Utf8 for c in ("origin_recode", "race_recode")})
    >>> df.select(race_group())["race_group"].to_list()
    ['NH White', 'NH Black', 'Hispanic', 'NH API', 'unknown', 'NH Black']
    """
    hisp, race4 = _hispanic(), _race4()
    combined = (
        pl.when(hisp.fill_null(False)).then(pl.lit("Hispanic"))
        .when(race4.is_in(["White", "Black", "AIAN", "API"])).then("NH " + race4)
        .when(race4.is_not_null() | hisp.is_not_null()).then(pl.lit("unknown"))
    )
    ro = pl.col("race_origin_recode")
    from_recode = pl.when(ro.is_not_null()).then(
        ro.replace_strict({"1": "NH White", "2": "NH Black", "3": "NH AIAN", "4": "NH API",
                           "5": "Hispanic"}, default="unknown", return_dtype=pl.Utf8)
    )
    return pl.coalesce(combined, from_recode).cast(pl.Enum(RACE_GROUP_LEVELS)).alias(
        "race_group"
    )


def grade_group() -> pl.Expr:
    """Grade as G1-G4 (or low / intermediate / high for two- and three-tier
    systems; ``other`` for cell types), ``unknown`` when no grade item says
    (``grade_groups.csv``). 2018+ diagnoses use Grade Pathological, else
    Grade Clinical, else Grade (440); earlier ones Grade (440) first. Null
    when the file carries none of the three.

    >>> df = pl.DataFrame({"dx_year": [2012, 2012, 2019, 2019, 2019],
    ...                    "grade": ["3", "9", None, None, "9"],
    ...                    "grade_clinical": [None, None, "2", "B", "9"],
    ...                    "grade_pathological": [None, None, "3", "9", "9"]},
    ...                   schema_overrides={"dx_year": pl.Int32})
    >>> df.select(grade_group())["grade_group"].to_list()
    ['G3', 'unknown', 'G3', 'G2', 'unknown']
    """
    tables = grade_groups()

    def known(item: str, source: str) -> pl.Expr:
        group = pl.col(item).replace_strict(tables[source], default=None, return_dtype=pl.Utf8)
        return pl.when(group != "unknown").then(group)

    old = known("grade", "grade")
    path, clin = known("grade_pathological", "grade_2018"), known("grade_clinical", "grade_2018")
    recent = pl.col("dx_year") >= 2018
    best = pl.when(recent).then(pl.coalesce(path, clin, old)).otherwise(
        pl.coalesce(old, path, clin)
    )
    present = pl.any_horizontal(
        pl.col(c).is_not_null() for c in ("grade", "grade_clinical", "grade_pathological")
    )
    return (
        pl.when(best.is_not_null()).then(best).when(present).then(pl.lit("unknown"))
        .cast(pl.Enum(GRADE_GROUP_LEVELS)).alias("grade_group")
    )


def tumor_size_mm() -> pl.Expr:
    """Tumour size in millimetres from Tumor Size Summary (756, 2016+), else
    CS Tumor Size (2800, 2004-2015), else EOD tumour size (780, 1988-2003):
    001-988 exact, 989 for 989 mm or more, 0 for no mass found; null for the
    descriptive codes (990 microscopic focus, 991-995 "less than n cm",
    996-999 site-specific or unknown).

    >>> df = pl.DataFrame({"tumor_size_summary": ["023", None, "999", None],
    ...                    "cs_tumor_size": [None, "989", "015", "991"],
    ...                    "eod_tumor_size": [None, None, None, None]},
    ...                   schema_overrides={"eod_tumor_size": pl.Utf8})
    >>> df.select(tumor_size_mm())["tumor_size_mm"].to_list()
    [23, 989, None, None]
    """
    def size(item: str) -> pl.Expr:
        code = pl.col(item)
        return pl.when(code.str.contains(_SIZE_EXACT) | (code == "000")).then(
            code.cast(pl.Int32, strict=False)
        )

    def given(item: str) -> pl.Expr:
        return pl.col(item).is_not_null()

    return (
        pl.when(given("tumor_size_summary")).then(size("tumor_size_summary"))
        .when(given("cs_tumor_size")).then(size("cs_tumor_size"))
        .otherwise(size("eod_tumor_size"))
        .cast(pl.Int32).alias("tumor_size_mm")
    )
