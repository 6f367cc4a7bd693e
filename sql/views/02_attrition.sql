-- attrition: records in, each exclusion in the order it is applied (every
-- step listed, zero or not), records analysed; `remaining` is what is left
-- after each step. records in = analysed + the sum of the exclusions, always.
create or replace view attrition as
with counted as (
    select
        exclusion_step,
        count(*) as records
    from cases
    group by all
),
steps as (
    select
        0 as step,
        'records in' as stage,
        cast(coalesce(sum(records), 0) as bigint) as records,
        0 as excluded
    from counted
    union all
    select
        r.step,
        'excluded: ' || r.reason as stage,
        null as records,
        cast(coalesce(c.records, 0) as bigint) as excluded
    from exclusion_rules as r
    left join counted as c
        on c.exclusion_step = r.step
),
numbered as (
    select
        step,
        stage,
        records,
        excluded,
        cast(sum(coalesce(records, 0) - excluded) over (order by step) as bigint) as remaining
    from steps
),
analysed as (
    select
        99 as step,
        'analysed' as stage,
        cast(coalesce(sum(records), 0) as bigint) as records,
        0 as excluded,
        cast(coalesce(sum(records), 0) as bigint) as remaining
    from counted
    where exclusion_step is null
),
final as (
    select * from numbered
    union all
    select * from analysed
)
select * from final
order by step
