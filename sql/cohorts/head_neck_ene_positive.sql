-- head_neck_ene_positive: head and neck cancers with extranodal extension present.
select *
from cases
where site_group = 'head_neck'
    and ene = 'present'
