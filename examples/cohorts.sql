-- Cohort queries to copy. Run them all with:
--   cohort sql -f examples/cohorts.sql --db registry.duckdb
-- Each query is a cohort you can also pass to `cohort km --where ...` (its WHERE part)
-- or to reg.cohort(...) in Python.

-- Node-positive breast cancer diagnosed 2010-2017, eligible for survival analysis,
-- by AJCC 8th count-based N category (counts below 11 are yours to suppress).
select node_burden, count(*) as cases
from cases
where site_group = 'breast'
    and node_status = 'N+'
    and dx_year between 2010 and 2017
    and exclusion_reason is null
group by node_burden
order by node_burden;

-- Stage III colon cancer by counts (N1a-N2b and N1c), with the adequacy of the
-- nodal examination (12 or more nodes examined).
select node_burden, adequate_exam, count(*) as cases, round(median(lnr), 3) as median_lnr
from cases
where site_group = 'colon'
    and node_burden in ('N1a', 'N1b', 'N1c', 'N2a', 'N2b')
    and exclusion_reason is null
group by all
order by all;

-- ENE-positive head and neck cancers, by extent (microscopic <= 2 mm, major > 2 mm).
select ene_extent, count(*) as cases
from cases
where site_group = 'head_neck'
    and ene = 'present'
group by ene_extent
order by ene_extent;

-- Attrition of a standard survival analysis: records in, each exclusion, analysed.
select stage, records, excluded, remaining
from attrition;

-- Records that fail the registry edits for node items, with examples.
select edit, records
from node_edits;
