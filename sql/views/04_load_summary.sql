-- load_summary: one row per loaded file with its accounting.
create or replace view load_summary as
with final as (
    select
        load_id,
        file_name,
        format,
        rows_read,
        rows_loaded,
        rows_rejected,
        rows_read = rows_loaded + rows_rejected as accounted,
        loaded_at,
        left(sha256, 12) as sha256_prefix
    from loads
)
select * from final
order by load_id
