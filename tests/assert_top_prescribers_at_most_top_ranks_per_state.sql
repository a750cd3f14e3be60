-- A singular test: the rows it returns are failures.
-- Dense rank keeps ties, so a state may have more than `top_ranks` rows,
-- but never more than `top_ranks` distinct claim counts.
select
    presc_state,
    count(distinct trx_cnt) as distinct_claim_counts
from {{ ref('top_prescribers') }}
group by presc_state
having count(distinct trx_cnt) > {{ literal(var('top_ranks')) }}
