-- Every city's state code is a known US state or territory, and its state name is that state's
-- name: a vendor that shifts a column or mislabels a state fails here, before the reports.
select
    c.city,
    c.state_id,
    c.state_name,
    s.state_name as expected_state_name
from {{ ref('stg_cities') }} as c
left join {{ ref('us_states') }} as s
  on c.state_id = s.state_id
where s.state_id is null
   or c.state_name <> upper(s.state_name)
