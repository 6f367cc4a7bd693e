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
    extra map(varchar, varchar)             -- columns the alias table does not know, kept by name
);
