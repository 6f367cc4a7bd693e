-- cases: the analysis table, raw_cases with its derived variables.
-- surv_months is the derived one (supplied, or computed from the dates). Only
-- records in force: one replaced by a newer submission (superseded_by set) is
-- left out, so every analysis uses the newest version.
create or replace view cases as
with final as (
    select
        r.* exclude (surv_months, superseded_by),
        d.* exclude (load_id, record_no),
        -- five-calendar-year groups of diagnosis, for strata (2010-2014, ...)
        cast(r.dx_year // 5 * 5 as varchar) || '-' || cast(r.dx_year // 5 * 5 + 4 as varchar)
            as dx_year_group
    from raw_cases as r
    join case_derived as d
        using (load_id, record_no)
    where r.superseded_by is null
)
select * from final
