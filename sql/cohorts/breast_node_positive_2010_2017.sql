-- breast_node_positive_2010_2017: node-positive breast cancer diagnosed 2010-2017.
select *
from cases
where site_group = 'breast'
    and node_status = 'N+'
    and dx_year between 2010 and 2017
