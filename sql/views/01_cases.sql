-- cases: the analysis table, raw_cases with its derived variables (paired in
-- case_pairs, sql/pairing). surv_months is the derived one (supplied, or
-- computed from the dates). Only records in force: one replaced by a newer
-- submission (superseded_by set) is left out, so every analysis uses the
-- newest version.
create or replace view cases as
with final as (
    select
        * exclude (superseded_by),
        -- five-calendar-year groups of diagnosis, for strata (2010-2014, ...)
        cast(dx_year // 5 * 5 as varchar) || '-' || cast(dx_year // 5 * 5 + 4 as varchar)
            as dx_year_group
    from case_pairs
    where superseded_by is null
)
select * from final
