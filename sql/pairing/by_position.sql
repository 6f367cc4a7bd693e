-- case_pairs: every raw_cases record beside its derived variables, paired by
-- position. Derivation writes case_derived in the physical order of raw_cases,
-- one row per record, so the two tables are read in step: a scan, where a join
-- on (load_id, record_no) would hash millions of keys (3-4x the time of a
-- registry-wide query). Every pair checks its keys: tables out of step raise an
-- error instead of pairing the wrong rows (the message is never NULL: DuckDB's
-- error(NULL) returns NULL, which would drop the row without a word). The
-- registry uses this pairing only after checking the tables are in step (else
-- by_key.sql).
create or replace view case_pairs as
with final as (
    select
        r.* exclude (surv_months),
        d.* exclude (load_id, record_no)
    from raw_cases as r
    positional join case_derived as d
    where case
        when r.load_id = d.load_id and r.record_no = d.record_no then true
        else error('raw_cases and case_derived are out of step (load '
            || coalesce(cast(r.load_id as varchar), 'none') || ' record '
            || coalesce(cast(r.record_no as varchar), 'none')
            || '); run `cohort derive` to derive again')
    end
)
select * from final
