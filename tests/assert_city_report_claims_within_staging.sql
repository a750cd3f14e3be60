-- A singular test: no city can report more claims than its state's prescribers have in staging.
with report as (
    select c.state_name, sum(r.trx_counts) as claims
    from {{ ref('city_report') }} as r
    join (select distinct state_id, state_name from {{ ref('stg_cities') }}) as c
      on c.state_name = r.state_name
    group by c.state_name
),
staging as (
    select c.state_name, sum(p.trx_cnt) as claims
    from {{ ref('stg_prescribers') }} as p
    join (select distinct state_id, state_name from {{ ref('stg_cities') }}) as c
      on c.state_id = p.presc_state
    group by c.state_name
)
select report.state_name, report.claims as report_claims, staging.claims as staging_claims
from report
left join staging on staging.state_name = report.state_name
where staging.claims is null or report.claims > staging.claims
