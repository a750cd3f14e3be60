-- Cleansed prescribers, in the original job's order of steps:
-- rename, parse experience, build the full name, drop rows without a prescriber
-- or a drug, then fill a missing claim count with the prescriber's own average.
with renamed as (
    select
        npi                           as presc_id,
        {{ full_name('nppes_provider_first_name', 'nppes_provider_last_org_name') }} as presc_fullname,
        nppes_provider_state          as presc_state,
        nppes_provider_city           as presc_city,
        'USA'                         as country_name,
        specialty_description         as presc_spclt,
        {{ years_from_text('years_of_exp') }} as years_of_exp,
        drug_name,
        total_claim_count             as trx_cnt,
        total_day_supply,
        total_drug_cost
    from {{ source('vendor', 'prescribers') }}
),

kept as (
    select * from renamed
    where presc_id is not null
      and drug_name is not null
)

select
    presc_id,
    presc_fullname,
    presc_state,
    presc_city,
    country_name,
    presc_spclt,
    years_of_exp,
    drug_name,
    -- round half up, as the original job did (averages are non-negative)
    coalesce(trx_cnt, cast(round(avg(trx_cnt) over (partition by presc_id)) as bigint)) as trx_cnt,
    total_day_supply,
    total_drug_cost
from kept
