-- load_summary: one row per loaded file with its accounting: records read =
-- loaded + rejected; blank lines skipped; loaded records may carry values set
-- to unknown on load (item_edits), counted here by value and by record; how
-- many of its records are in force (not replaced by a newer submission) and
-- how many older ones it replaced.
create or replace view load_summary as
with in_force as (
    select
        load_id,
        count(*) as in_force
    from raw_cases
    where superseded_by is null
    group by load_id
),
edits as (
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
        coalesce(l.blank_lines, 0) as blank_lines,
        coalesce(e.values_edited, 0) as values_edited,
        coalesce(e.records_edited, 0) as records_edited,
        coalesce(f.in_force, 0) as in_force,
        coalesce(l.records_superseded, 0) as records_superseded,
        l.loaded_at,
        left(l.sha256, 12) as sha256_prefix
    from loads as l
    left join edits as e
        using (load_id)
    left join in_force as f
        using (load_id)
)
select * from final
order by load_id
