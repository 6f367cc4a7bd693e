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
create type if not exists n_stage_group_t as enum ('N0', 'N1', 'N2', 'N3', 'NX');
create type if not exists stage_edition_t as enum (
    'AJCC 6th', 'AJCC 7th', 'AJCC 7th (SEER combined)', 'AJCC 8th (EOD 2018)'
);
create type if not exists t_stage_t as enum ('T0', 'Ta', 'Tis', 'T1', 'T2', 'T3', 'T4', 'TX');
create type if not exists node_count_group_t as enum ('0', '1', '1-3', '>=2', '>=4', 'unknown');
create type if not exists age_band_t as enum ('<40', '40-49', '50-59', '60-69', '70-79', '80+');
create type if not exists race_group_t as enum (
    'NH White', 'NH Black', 'NH AIAN', 'NH API', 'Hispanic', 'unknown'
);
create type if not exists grade_group_t as enum (
    'G1', 'G2', 'G3', 'G4', 'low', 'intermediate', 'high', 'other', 'unknown'
);
create type if not exists receptor_t as enum ('positive', 'negative', 'borderline', 'unknown');
create type if not exists subtype_t as enum (
    'HR+/HER2-', 'HR+/HER2+', 'HR-/HER2+', 'HR-/HER2-', 'unknown'
);
create type if not exists treatment_t as enum ('no', 'no/unknown', 'yes', 'unknown');
create type if not exists ln_surgery_t as enum (
    'none', 'aspiration', 'sentinel', 'regional', 'sentinel and regional', 'unknown'
);
create type if not exists node_count_basis_t as enum ('pN', 'ypN');
create type if not exists exam_adequacy_t as enum (
    'adequate', 'inadequate', 'after neoadjuvant', 'no nodes examined', 'unknown'
);

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
    exclusion_step tinyint,           -- its position in the order of exclusions (attrition view)
    n_stage varchar,                  -- staged N (AJCC spelling) of the edition for the year of diagnosis
    n_stage_edition stage_edition_t,  -- edition n_stage comes from (AJCC 6th/7th, SEER combined, EOD 2018)
    n_stage_group n_stage_group_t,    -- N0 / N1 / N2 / N3 / NX (data/n_stage_crosswalk.csv)
    t_stage t_stage_t,                -- T0 / Ta / Tis / T1-T4 / TX of the same edition rule
    node_count_group node_count_group_t,  -- lung 0 / 1-3 / >=4, head and neck 0 / 1 / >=2 positive nodes
    age_band age_band_t,              -- ten-year age bands at diagnosis
    race_group race_group_t,          -- Hispanic, else non-Hispanic White / Black / AIAN / API
    grade_group grade_group_t,        -- G1-G4 (low / intermediate / high) from grade 440 or 2018+ grade
    tumor_size_mm integer,            -- tumour size, mm (756, else 2800, else 780); null if descriptive
    er_result receptor_t,             -- breast: estrogen receptor (3827, CS SSF1, SEER recode)
    pr_result receptor_t,             -- breast: progesterone receptor (3915, CS SSF2, SEER recode)
    her2_result receptor_t,           -- breast: HER2 (3855, CS SSF15, SEER recode)
    subtype subtype_t,                -- breast: HR+/HER2-, HR+/HER2+, HR-/HER2+, HR-/HER2-, unknown
    surgery treatment_t,              -- surgery of the primary site (1290)
    radiation treatment_t,            -- radiation (1360, else SEER radiation recode)
    chemotherapy treatment_t,         -- chemotherapy (1390, else SEER chemotherapy recode)
    ln_surgery ln_surgery_t,          -- scope of regional node surgery (1292)
    neoadjuvant boolean,              -- systemic therapy or radiation before surgery (1639, 1380)
    node_count_basis node_count_basis_t,  -- pN (surgery first) or ypN (after neoadjuvant therapy)
    exam_adequacy exam_adequacy_t     -- adequate / inadequate / after neoadjuvant / none / unknown
);

-- exclusion_rules: the exclusions for a standard survival analysis in the
-- order applied; written by cohort.derive from its EXCLUSIONS list.
create table if not exists exclusion_rules (
    step tinyint primary key,
    reason varchar not null
);
