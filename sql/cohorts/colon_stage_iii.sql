-- colon_stage_iii: colon cancer with positive regional nodes and an AJCC
-- count category (N1a-N2b, N1c), i.e. node-positive stage III by counts.
select *
from cases
where site_group = 'colon'
    and node_burden in ('N1a', 'N1b', 'N1c', 'N2a', 'N2b')
