-- Cleansed cities: names upper-cased so they join to the prescribers' upper-case cities.
-- depends_on: {{ ref('us_states') }}
-- (the seed the cities' states are tested against: with it upstream, a failing state check stops
-- the reports before they are built or shipped)
select
    upper(city)        as city,
    state_id,
    upper(state_name)  as state_name,
    upper(county_name) as county_name,
    population,
    zips
from {{ source('vendor', 'us_cities') }}
