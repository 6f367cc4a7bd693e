-- case_pairs: every raw_cases record beside its derived variables, joined on
-- the keys. Used while the two tables are not in step (records loaded without
-- derivation, a registry derived by an older cohort): correct in every state,
-- slower than the pairing by position (by_position.sql) on large registries.
create or replace view case_pairs as
with final as (
    select
        r.* exclude (surv_months),
        d.* exclude (load_id, record_no)
    from raw_cases as r
    join case_derived as d
        using (load_id, record_no)
)
select * from final
