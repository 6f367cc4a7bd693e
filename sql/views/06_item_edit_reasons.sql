-- item_edit_reasons: values set to unknown on load, counted by file, item and
-- reason, most frequent first, with example values.
create or replace view item_edit_reasons as
with final as (
    select
        file_name,
        item,
        reason,
        count(*) as records,
        list(distinct value order by value)[1:5] as example_values
    from item_edits
    group by all
)
select * from final
order by records desc, file_name, item
