-- Cleansed cities: names upper-cased so they join to the prescribers' upper-case cities.
select
    upper(city)        as city,
    state_id,
    upper(state_name)  as state_name,
    upper(county_name) as county_name,
    population,
    zips
from {{ source('vendor', 'us_cities') }}
