-- raw_cases: one row per loaded tumour record, canonical columns.
-- Codes are kept as text exactly as normalised on load; typed values sit beside
-- them (age_at_dx beside age_at_dx_code). Columns follow cohort/data/items.csv;
-- tests/test_schema.py checks the two agree.
create table if not exists raw_cases (
    load_id integer not null,               -- loads.load_id
    record_no bigint not null,              -- record number in the file (1 = first data record)
    patient_id varchar,                     -- [20] patientIdNumber
    tumor_seq varchar,                      -- [380] sequenceNumberCentral
    sex varchar,                            -- [220] sex
    age_at_dx integer,                      -- [230] ageAtDiagnosis; null unless the file gives an exact age
    age_at_dx_code varchar,                 -- as in the file (065; 85+ or 45-49 from a SEER age recode)
    age_group varchar,                      -- a SEER age recode that is not an exact age: 85+ or 45-49
    age_top_coded boolean,                  -- the age is top-coded (85+, 90+, 100+): at least that old
    dx_date date,                           -- [390] dateOfDiagnosis
    dx_date_code varchar,                   -- YYYYMMDD, YYYYMM or YYYY as in the file
    dx_month integer,                       -- month of dx_date
    dx_year integer,                        -- year of diagnosis (from dx_date when present)
    dx_year_code varchar,                   -- as in the file
    primary_site varchar,                   -- [400] primarySite
    histology varchar,                      -- [522] histologicTypeIcdO3
    behavior varchar,                       -- [523] behaviorCodeIcdO3
    grade varchar,                          -- [440] grade
    reporting_source varchar,               -- [500] typeOfReportingSource
    nodes_positive_code varchar,            -- [820] regionalNodesPositive
    nodes_examined_code varchar,            -- [830] regionalNodesExamined
    sentinel_examined_code varchar,         -- [834] sentinelLymphNodesExamined
    sentinel_positive_code varchar,         -- [835] sentinelLymphNodesPositive
    ene_clin_code varchar,                  -- [3830] extranodalExtensionClin
    ene_hn_clin_code varchar,               -- [3831] extranodalExtensionHeadNeckClin
    ene_hn_path_code varchar,               -- [3832] extranodalExtensionHeadNeckPath
    ene_path_code varchar,                  -- [3833] extranodalExtensionPath
    ln_axillary_code varchar,               -- [3882] lnPositiveAxillaryLevel1To2
    tumor_deposits_code varchar,            -- [3934] tumorDeposits
    p16_code varchar,                       -- [3956] p16
    ln_size_code varchar,                   -- [3883] lnSize
    eod_regional_nodes varchar,             -- [774] eodRegionalNodes
    summary_stage_2018 varchar,             -- [762] derivedSummaryStage2018
    tnm_path_n varchar,                     -- [890] tnmPathN
    tnm_clin_n varchar,                     -- [950] tnmClinN
    last_contact_date date,                 -- [1750] dateOfLastContact
    last_contact_date_code varchar,         -- YYYYMMDD, YYYYMM or YYYY as in the file
    last_contact_month integer,             -- month of last_contact_date
    last_contact_year integer,              -- year of last_contact_date
    vital_status varchar,                   -- [1760] vitalStatus
    vital_status_recode varchar,            -- [1762] vitalStatusRecode
    cause_of_death varchar,                 -- [1910] causeOfDeath
    cause_specific_death varchar,           -- [1914] seerCauseSpecificCod
    other_cause_death varchar,              -- [1915] seerOtherCod
    cod_site_recode varchar,                -- SEER COD to site recode (CODPUB): code or SEER*Stat label
    surv_months integer,                    -- [1784] survMosActiveFollowup
    surv_months_code varchar,               -- as in the file
    surv_flag varchar,                      -- [1783] survFlagActiveFollowup
    surv_months_presumed integer,           -- [1787] survMosPresumedAlive
    surv_months_presumed_code varchar,      -- as in the file
    surv_flag_presumed varchar,             -- [1786] survFlagPresumedAlive
    ajcc6_t varchar,                        -- [2940] derivedAjcc6T
    ajcc6_n varchar,                        -- [2960] derivedAjcc6N
    ajcc6_m varchar,                        -- [2980] derivedAjcc6M
    ajcc6_stage varchar,                    -- [3000] derivedAjcc6StageGrp
    ajcc7_t varchar,                        -- [3400] derivedAjcc7T
    ajcc7_n varchar,                        -- [3410] derivedAjcc7N
    ajcc7_m varchar,                        -- [3420] derivedAjcc7M
    ajcc7_stage varchar,                    -- [3430] derivedAjcc7StageGrp
    seer_cmb_t varchar,                     -- [3616] derivedSeerCombinedT
    seer_cmb_n varchar,                     -- [3618] derivedSeerCombinedN
    seer_cmb_m varchar,                     -- [3620] derivedSeerCombinedM
    seer_cmb_stage varchar,                 -- [3614] derivedSeerCmbStgGrp
    eod2018_t varchar,                      -- [785] derivedEod2018T
    eod2018_n varchar,                      -- [815] derivedEod2018N
    eod2018_m varchar,                      -- [795] derivedEod2018M
    eod2018_stage varchar,                  -- [818] derivedEod2018StageGroup
    cs_lymph_nodes varchar,                 -- [2830] csLymphNodes
    grade_clinical varchar,                 -- [3843] gradeClinical
    grade_pathological varchar,             -- [3844] gradePathological
    tumor_size_summary varchar,             -- [756] tumorSizeSummary
    cs_tumor_size varchar,                  -- [2800] csTumorSize
    eod_tumor_size varchar,                 -- [780] eodTumorSize
    laterality varchar,                     -- [410] laterality
    diagnostic_confirmation varchar,        -- [490] diagnosticConfirmation
    er_summary varchar,                     -- [3827] estrogenReceptorSummary
    pr_summary varchar,                     -- [3915] progesteroneRecepSummary
    her2_summary varchar,                   -- [3855] her2OverallSummary
    cs_ssf1 varchar,                        -- [2880] csSiteSpecificFactor1
    cs_ssf2 varchar,                        -- [2890] csSiteSpecificFactor2
    cs_ssf15 varchar,                       -- [2869] csSiteSpecificFactor15
    er_status_recode varchar,               -- SEER recode (no NAACCR item)
    pr_status_recode varchar,               -- SEER recode (no NAACCR item)
    her2_recode varchar,                    -- SEER recode (no NAACCR item)
    breast_subtype varchar,                 -- SEER recode (no NAACCR item)
    surgery_primary_site varchar,           -- [1290] rxSummSurgPrimSite
    ln_surgery_scope varchar,               -- [1292] rxSummScopeRegLnSur
    systemic_surgery_seq varchar,           -- [1639] rxSummSystemicSurSeq
    radiation_surgery_seq varchar,          -- [1380] rxSummSurgRadSeq
    rx_radiation varchar,                   -- [1360] rxSummRadiation
    radiation_recode varchar,               -- SEER recode (no NAACCR item)
    rx_chemo varchar,                       -- [1390] rxSummChemo
    chemo_recode varchar,                   -- SEER recode (no NAACCR item)
    race varchar,                           -- [160] race1
    hispanic_origin varchar,                -- [190] spanishHispanicOrigin
    nhia_origin varchar,                    -- [191] nhiaDerivedHispOrigin
    origin_recode varchar,                  -- SEER recode (no NAACCR item)
    race_recode varchar,                    -- SEER recode (no NAACCR item)
    race_origin_recode varchar,             -- SEER recode (no NAACCR item)
    marital_status varchar,                 -- [150] maritalStatusAtDx
    first_malignant varchar,                -- SEER recode (no NAACCR item)
    tumors_total integer,                   -- SEER recode (no NAACCR item)
    tumors_total_code varchar,              -- as in the file
    extra map(varchar, varchar)             -- columns the alias table does not know, kept by name
);
