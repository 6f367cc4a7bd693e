-- superseded: what newer submissions changed, field by field. A file loaded
-- with `cohort load --supersede` replaces the records in force with the same
-- (patient_id, tumor_seq); the older record stays in raw_cases with
-- superseded_by set. One row per replaced record and field whose value
-- differs (codes as in the files; typed twins such as age_at_dx are not
-- repeated beside age_at_dx_code).
create or replace view superseded as
with pairs as (
    select
        o.patient_id,
        o.tumor_seq,
        o.load_id as old_load_id,
        o.record_no as old_record_no,
        n.load_id as new_load_id,
        n.record_no as new_record_no
    from raw_cases as o
    join raw_cases as n
        on n.load_id = o.superseded_by
        and n.patient_id = o.patient_id
        and n.tumor_seq = o.tumor_seq
),
compared as (
    select
        load_id,
        record_no,
        columns(* exclude (
            load_id, record_no, superseded_by, patient_id, tumor_seq,
            age_at_dx, dx_date, dx_month, dx_year, last_contact_date, last_contact_month,
            last_contact_year, surv_months, surv_months_presumed, tumors_total
        ))::varchar
    from raw_cases
    where load_id in (select old_load_id from pairs union select new_load_id from pairs)
),
long as (
    select *
    from compared
    unpivot include nulls (value for field in (columns(* exclude (load_id, record_no))))
),
final as (
    select
        p.patient_id,
        p.tumor_seq,
        o.field,
        o.value as old_value,
        n.value as new_value,
        p.old_load_id,
        lo.file_name as old_file,
        p.old_record_no,
        p.new_load_id,
        ln.file_name as new_file,
        p.new_record_no
    from pairs as p
    join long as o
        on o.load_id = p.old_load_id
        and o.record_no = p.old_record_no
    join long as n
        on n.load_id = p.new_load_id
        and n.record_no = p.new_record_no
        and n.field = o.field
    join loads as lo
        on lo.load_id = p.old_load_id
    join loads as ln
        on ln.load_id = p.new_load_id
    where o.value is distinct from n.value
)
select * from final
order by new_load_id, patient_id, tumor_seq, field
