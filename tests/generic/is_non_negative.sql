{#- A custom generic test: the rows where the column is below zero. Use it like not_null:
    columns: [{name: trx_cnt, data_tests: [is_non_negative]}] -#}
{% test is_non_negative(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
