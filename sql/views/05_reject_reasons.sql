-- reject_reasons: rejects counted by file, field and reason, most frequent first.
create or replace view reject_reasons as
with final as (
    select
        file_name,
        field,
        reason,
        count(*) as records
    from rejects
    group by all
)
select * from final
order by records desc, file_name, field
