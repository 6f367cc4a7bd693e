-- cases: the analysis table. Until derived variables are computed it is
-- raw_cases itself; `cohort derive` replaces this view with the derived table.
create or replace view cases as
with final as (
    select *
    from raw_cases
)
select * from final
