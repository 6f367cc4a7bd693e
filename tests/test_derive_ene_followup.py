"""ENE, survival time, events and exclusions: hand-written expectations."""

from __future__ import annotations

import polars as pl
import pytest

from cohort.derive import derive, with_inputs


def derived(**columns) -> pl.DataFrame:
    n = max(len(v) for v in columns.values())
    df = with_inputs(pl.DataFrame({k: v if len(v) == n else v * n for k, v in columns.items()}))
    return derive(df).with_columns(pl.col(pl.Enum).cast(pl.Utf8))


@pytest.mark.parametrize(
    ("path", "clin", "pos", "ene", "extent", "source"),
    [
        ("0.0", None, "03", "absent", None, "3832"),
        ("1.5", None, "03", "present", "micro", "3832"),
        ("2.0", None, "03", "present", "micro", "3832"),
        ("2.1", None, "03", "present", "major", "3832"),
        ("X.1", None, "03", "present", "major", "3832"),
        ("X.2", None, "03", "present", "micro", "3832"),
        ("X.3", None, "03", "present", "major", "3832"),
        ("X.4", None, "03", "present", "unknown", "3832"),
        ("X.7", None, "00", "not_applicable", None, "3832"),
        ("X.9", "1", "03", "present", None, "3831"),  # path unknown: clinical decides
        ("X.8", "0", "03", "absent", None, "3831"),
        ("X.9", "9", "03", "unknown", None, None),
        (None, None, "00", "not_applicable", None, None),  # node-negative, no item
        (None, None, "03", "unknown", None, None),
    ],
)
def test_head_and_neck_ene(path, clin, pos, ene, extent, source):
    out = derived(primary_site=["C320"], histology=["8070"], nodes_positive_code=[pos],
                  nodes_examined_code=["20"], ene_hn_path_code=[path], ene_hn_clin_code=[clin])
    assert out.select("ene", "ene_extent", "ene_source").row(0) == (ene, extent, source)


@pytest.mark.parametrize(
    ("path", "clin", "ene", "source"),
    [
        ("0", None, "absent", "3833"), ("1", None, "present", "3833"),
        ("7", None, "not_applicable", "3833"), ("8", None, "not_applicable", "3833"),
        ("9", "2", "present", "3830"), (None, "4", "present", "3830"),
        (None, "7", "not_applicable", "3830"), ("9", "9", "unknown", None),
    ],
)
def test_other_site_ene(path, clin, ene, source):
    out = derived(primary_site=["C447"], histology=["8247"], nodes_positive_code=["02"],
                  nodes_examined_code=["10"], ene_path_code=[path], ene_clin_code=[clin])
    assert out.select("ene", "ene_extent", "ene_source").row(0) == (ene, None, source)


def test_survival_months_from_dates():
    # dx 2015-03-20 -> contact 2016-03-19: 12 months less one (day before) = 11
    out = derived(
        dx_date_code=["20150320", "20150320", "201503", "20150320", "2015", "20150320"],
        dx_year=[2015], dx_month=[3, 3, 3, 3, None, 3],
        last_contact_date_code=["20160319", "20160320", "20160301", "201604", "20160301",
                                "20140101"],
        last_contact_year=[2016, 2016, 2016, 2016, 2016, 2014],
        last_contact_month=[3, 3, 3, 4, 3, 1],
        vital_status=["1"],
    )
    assert out["surv_months"].to_list() == [11, 12, 12, 13, None, None]
    assert out["surv_months_source"].to_list() == ["dates"] * 4 + [None, None]


def test_supplied_survival_months_win():
    out = derived(surv_months=[40, None, None], surv_months_presumed=[41, 42, None],
                  dx_date_code=["20150101"], dx_year=[2015], dx_month=[1],
                  last_contact_date_code=["20160101"], last_contact_year=[2016],
                  last_contact_month=[1], vital_status=["1"])
    assert out["surv_months"].to_list() == [40, 42, 12]
    assert out["surv_months_source"].to_list() == ["1784", "1787", "dates"]


@pytest.mark.parametrize(
    ("vital", "recode", "csd", "ocd", "event", "event_cancer", "cause"),
    [
        ("1", None, "0", "0", 0, 0, "alive"),
        ("0", None, "1", "0", 1, 1, "cancer_death"),
        ("4", None, "0", "1", 1, 0, "other_death"),
        ("0", None, "8", "8", 1, None, None),  # dead, cause unknown
        ("0", None, "9", "9", 1, None, None),  # not applicable
        ("0", None, None, None, 1, None, None),  # item absent
        ("0", "1", "1", "0", 0, 0, "alive"),  # death after the cut-off: recode says alive
        (None, None, None, None, None, None, None),
    ],
)
def test_events(vital, recode, csd, ocd, event, event_cancer, cause):
    out = derived(vital_status=[vital], vital_status_recode=[recode],
                  cause_specific_death=[csd], other_cause_death=[ocd])
    assert out.select("event", "event_cancer", "cause").row(0) == (event, event_cancer, cause)


def test_exclusions_in_order():
    base = {"reporting_source": "1", "surv_months": 10, "vital_status": "1",
            "age_at_dx": 60, "behavior": "3", "tumor_seq": "00"}
    rows = [
        {},
        {"reporting_source": "7"},
        {"reporting_source": "6", "surv_months": None},  # first rule wins
        {"surv_months": None},
        {"vital_status": None},
        {"age_at_dx": None},
        {"behavior": "2"},
        {"tumor_seq": "02"},
        {"tumor_seq": "01"},
        {"behavior": "2", "tumor_seq": "02"},
    ]
    df = pl.DataFrame([base | r for r in rows], schema_overrides={"surv_months": pl.Int32,
                                                                  "age_at_dx": pl.Int32})
    out = derived(**{c: df[c].to_list() for c in df.columns})
    assert out["exclusion_reason"].to_list() == [
        None,
        "death certificate or autopsy only",
        "death certificate or autopsy only",
        "unknown survival time",
        "unknown vital status",
        "age unknown",
        "in situ or benign",
        "not the first primary",
        None,
        "in situ or benign",
    ]
    assert out["exclusion_step"].to_list() == [None, 1, 1, 2, 3, 4, 5, 6, None, 5]
