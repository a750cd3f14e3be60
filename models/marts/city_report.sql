-- One row per city with prescribers: how many prescribers and claims each city has.
-- A repeated (city, state) in the dimension gives a repeated report row, as in the original job.
with prescribers_by_city as (
    select
        presc_state,
        presc_city,
        count(distinct presc_id) as presc_counts,
        cast(sum(trx_cnt) as bigint) as trx_counts
    from {{ ref('stg_prescribers') }}
    group by presc_state, presc_city
)

select
    c.city,
    c.state_name,
    c.county_name,
    c.population,
    {{ zip_count('c.zips') }} as zip_counts,
    p.trx_counts,
    p.presc_counts
from {{ ref('stg_cities') }} as c
join prescribers_by_city as p
  on c.state_id = p.presc_state
 and c.city = p.presc_city
