-- case_derived: the derived analysis variables of every raw_cases record,
-- computed by cohort.derive (polars) and keyed like raw_cases. The ordered
-- ENUM types keep clinical order in SQL (order by node_burden) as in polars;
-- tests/test_derive_db.py checks their levels against the Python code.
create type if not exists site_group_t as enum (
    'breast', 'colon', 'rectum', 'stomach', 'esophagus', 'pancreas', 'lung',
    'melanoma', 'head_neck', 'other'
);
create type if not exists node_status_t as enum ('N0', 'N+', 'NX');
create type if not exists node_burden_t as enum (
    'N0', 'N1 NOS', 'N1', 'N1a', 'N1b', 'N1c', 'N2', 'N2a', 'N2b', 'N3', 'N3a', 'N3b', 'NX'
);
create type if not exists ene_t as enum ('absent', 'present', 'unknown', 'not_applicable');
create type if not exists ene_extent_t as enum ('micro', 'major', 'unknown');
create type if not exists cause_t as enum ('alive', 'cancer_death', 'other_death');

create table if not exists case_derived (
    load_id integer not null,
    record_no bigint not null,
    site_group site_group_t,          -- from primary_site and histology (data/sites.csv)
    n_rule varchar,                   -- count rule applied (data/n_categories.csv); null = not count-based
    nodes_positive integer,           -- 820 decoded: 0-89 exact, 90 = ninety or more, null otherwise
    nodes_examined integer,           -- 830 decoded likewise
    nodes_negative integer,           -- examined - positive when both exact and consistent
    node_status node_status_t,        -- N0 / N+ / NX (sentinel items when 820 is unknown)
    node_count_source varchar,        -- item giving the count: 3882 (breast axillary) or 820
    node_burden node_burden_t,        -- AJCC 8th pathological N from the count
    node_burden_reason varchar,       -- rule used, or why NX
    lnr double,                       -- positive / examined
    lodds double,                     -- ln((positive + 0.5) / (negative + 0.5))
    adequate_exam boolean,            -- examined >= site threshold (data/sites.csv)
    node_edits varchar[],             -- node-item edits failed (empty when consistent)
    ene ene_t,                        -- extranodal extension
    ene_extent ene_extent_t,          -- head and neck: micro (<= 2 mm) / major (> 2 mm)
    ene_source varchar,               -- item that decided ene: 3832, 3831, 3833, 3830
    surv_months integer,              -- supplied (1784, 1787) or computed from dates
    surv_months_source varchar,       -- 1784 / 1787 / dates
    event tinyint,                    -- death from any cause
    event_cancer tinyint,             -- death from this cancer (1914); null when unknown
    cause cause_t,                    -- alive / cancer_death / other_death; null = cause unknown
    exclusion_reason varchar,         -- first exclusion met; null = eligible for survival analysis
    exclusion_step tinyint            -- its position in the order of exclusions (attrition view)
);

-- exclusion_rules: the exclusions for a standard survival analysis in the
-- order applied; written by cohort.derive from its EXCLUSIONS list.
create table if not exists exclusion_rules (
    step tinyint primary key,
    reason varchar not null
);
