-- A singular test: a state's claims in the report equal its staging claims in the cities the
-- dimension knows, each city counted once per dimension row of that (city, state): a repeated
-- (city, state) repeats its report row, as the original job does (shared/data/README.md).
with report as (
    select state_name, sum(trx_counts) as claims
    from {{ ref('city_report') }}
    group by state_name
),
dimension as (
    select state_id, state_name, city, count(*) as dimension_rows
    from {{ ref('stg_cities') }}
    group by state_id, state_name, city
),
expected as (
    select d.state_name, sum(p.trx_cnt * d.dimension_rows) as claims
    from {{ ref('stg_prescribers') }} as p
    join dimension as d
      on d.state_id = p.presc_state
     and d.city = p.presc_city
    group by d.state_name
)
select
    coalesce(report.state_name, expected.state_name) as state_name,
    report.claims as report_claims,
    expected.claims as expected_claims
from report
full outer join expected on expected.state_name = report.state_name
where report.claims <> expected.claims
   or (report.claims is null) <> (expected.claims is null)
