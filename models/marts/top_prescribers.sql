-- The top prescribers of each state by claims, among those with 20 to 50 years of experience.
-- Dense rank, so ties share a rank; a prescriber appears once per drug row.
with ranked as (
    select
        presc_id,
        presc_fullname,
        presc_state,
        country_name,
        years_of_exp,
        trx_cnt,
        total_day_supply,
        total_drug_cost,
        dense_rank() over (partition by presc_state order by trx_cnt desc nulls last) as state_rank
    from {{ ref('stg_prescribers') }}
    where years_of_exp between {{ literal(var('min_years_of_exp')) }} and {{ literal(var('max_years_of_exp')) }}
)

select
    presc_id,
    presc_fullname,
    presc_state,
    country_name,
    years_of_exp,
    trx_cnt,
    total_day_supply,
    total_drug_cost
from ranked
where state_rank <= {{ literal(var('top_ranks')) }}
