-- load_summary: one row per loaded file with its accounting. Records read =
-- loaded + rejected; loaded records may carry values set to unknown on load
-- (item_edits), counted here by value and by record.
create or replace view load_summary as
with edits as (
    select
        load_id,
        count(*) as values_edited,
        count(distinct record_no) as records_edited
    from item_edits
    group by all
),
final as (
    select
        l.load_id,
        l.file_name,
        l.format,
        l.rows_read,
        l.rows_loaded,
        l.rows_rejected,
        l.rows_read = l.rows_loaded + l.rows_rejected as accounted,
        coalesce(e.values_edited, 0) as values_edited,
        coalesce(e.records_edited, 0) as records_edited,
        l.loaded_at,
        left(l.sha256, 12) as sha256_prefix
    from loads as l
    left join edits as e
        using (load_id)
)
select * from final
order by load_id
