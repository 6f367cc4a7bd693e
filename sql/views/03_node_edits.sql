-- node_edits: data-quality view of the node-item edits (NAACCR consistency
-- rules), with the number of records failing each and example records.
create or replace view node_edits as
with failures as (
    select
        unnest(node_edits) as edit,
        load_id,
        record_no,
        nodes_positive_code,
        nodes_examined_code
    from cases
    where len(node_edits) > 0
),
final as (
    select
        edit,
        count(*) as records,
        list(
            'load ' || load_id || ' record ' || record_no || ' (820=' || coalesce(nodes_positive_code, 'blank')
            || ', 830=' || coalesce(nodes_examined_code, 'blank') || ')'
            order by load_id, record_no
        )[1:5] as examples
    from failures
    group by edit
)
select * from final
order by records desc, edit
