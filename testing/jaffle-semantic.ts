/**
 * ../shared/dbt/jaffle_shop copied, with properties files that declare every dbt-only resource
 * (groups, exposures, semantic models, metrics, saved queries, a time spine, a disabled exposure,
 * group membership through dbt_project.yml): the fixture of the manifest and selection tests that
 * compare tx with dbt-core 1.10. The shared fixture is never edited.
 */
import { appendFileSync, cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, dedent, writeFiles } from './fixture-project.js';

// ../shared beside the checkout (a worktree under wt/ finds it one level further up)
export const JAFFLE = [join(REPO_ROOT, '..', 'shared', 'dbt', 'jaffle_shop'), join(REPO_ROOT, '..', '..', 'shared', 'dbt', 'jaffle_shop')].find((d) => existsSync(d)) ?? join(REPO_ROOT, '..', 'shared', 'dbt', 'jaffle_shop');

/** Added to the copy of jaffle_shop (the shared fixture stays as it is). */
export const ADDED: Record<string, string> = {
  'models/semantic.yml': dedent(`
    version: 2

    groups:
      - name: finance
        owner:
          name: Finance team
          email: finance@example.com
        description: Revenue and payments
      - name: marketing
        owner:
          email: marketing@example.com

    exposures:
      - name: weekly_revenue
        label: Weekly revenue
        type: dashboard
        maturity: high
        url: https://bi.example.com/dashboards/1
        description: Revenue by week, by customer
        depends_on:
          - ref('orders')
          - ref('customers')
        owner:
          name: Finance team
          email: finance@example.com
        tags: [finance]
        meta:
          tier: 1
      - name: churn_model
        type: ml
        depends_on:
          - ref('customers')
          - metric('order_total')
        owner:
          email: ds@example.com
        config:
          enabled: true

    semantic_models:
      - name: orders
        description: One row per order
        model: ref('orders')
        defaults:
          agg_time_dimension: order_date
        entities:
          - name: order_id
            type: primary
          - name: customer
            type: foreign
            expr: customer_id
        dimensions:
          - name: order_date
            type: time
            type_params:
              time_granularity: day
          - name: status
            type: categorical
        measures:
          - name: order_total
            description: Sum of the order amounts
            agg: sum
            expr: amount
          - name: order_count
            agg: sum
            expr: "1"
          - name: customers_with_orders
            agg: count_distinct
            expr: customer_id
      - name: customers
        model: ref('customers')
        defaults:
          agg_time_dimension: first_order
        entities:
          - name: customer
            type: primary
            expr: customer_id
        dimensions:
          - name: first_order
            type: time
            type_params:
              time_granularity: day
        measures:
          - name: customer_count
            agg: count
            expr: customer_id

    metrics:
      - name: order_total
        label: Order total
        description: Sum of all order amounts
        type: simple
        type_params:
          measure: order_total
      - name: order_count
        label: Orders
        type: simple
        type_params:
          measure: order_count
        filter: |
          {{ Dimension('order_id__status') }} != 'returned'
      - name: average_order_value
        label: Average order value
        type: ratio
        type_params:
          numerator: order_total
          denominator: order_count
      - name: order_total_per_customer
        label: Order total per customer
        type: derived
        type_params:
          expr: total / customers
          metrics:
            - name: order_total
              alias: total
            - name: customers_with_orders
              alias: customers
      - name: customers_with_orders
        label: Customers with orders
        type: simple
        type_params:
          measure: customers_with_orders
      - name: cumulative_order_total
        label: Cumulative order total
        type: cumulative
        type_params:
          measure: order_total
          cumulative_type_params:
            window: 7 days

    saved_queries:
      - name: revenue_by_status
        description: Order totals by status
        query_params:
          metrics:
            - order_total
            - order_count
          group_by:
            - "Dimension('order_id__status')"
          where:
            - "{{ Dimension('order_id__status') }} != 'returned'"
        exports:
          - name: revenue_by_status_export
            config:
              export_as: table
  `),
  'models/marts/semantic2.yml': dedent(`
    version: 2

    sources:
      - name: shop_raw
        schema: main
        tables:
          - name: raw_orders

    exposures:
      - name: raw_orders_audit
        type: analysis
        depends_on:
          - source('shop_raw', 'raw_orders')
          - ref('stg_orders')
        owner:
          name: Audit
      - name: retired_report
        type: notebook
        depends_on:
          - ref('orders')
        owner:
          email: old@example.com
        config:
          enabled: false

    semantic_models:
      - name: payments
        description: Payments by order
        model: ref('stg_payments')
        config:
          group: finance
          meta:
            domain: payments
        defaults:
          agg_time_dimension: payment_date
        primary_entity: payment
        entities:
          - name: order
            type: foreign
            expr: order_id
            config:
              meta:
                pii: false
        dimensions:
          - name: payment_date
            type: time
            expr: "current_date"
            type_params:
              time_granularity: day
          - name: payment_method
            type: categorical
            label: Method
            description: How it was paid
        measures:
          - name: payment_amount
            agg: sum
            expr: amount
            create_metric: true
          - name: median_payment
            agg: percentile
            expr: amount
            agg_params:
              percentile: 0.5
              use_discrete_percentile: true
          - name: last_payment_amount
            agg: sum
            expr: amount
            agg_time_dimension: payment_date
            non_additive_dimension:
              name: payment_date
              window_choice: max

    metrics:
      - name: finance_payments
        label: Finance payments
        type: simple
        description: Payments, for finance
        type_params:
          measure:
            name: payment_amount
            fill_nulls_with: 0
            join_to_timespine: true
            filter: "{{ Dimension('order__payment_method') }} = 'coupon'"
        meta:
          legacy: true
        tags: [money]
        config:
          group: finance
          meta:
            owner: cfo
      - name: payment_growth
        label: Payment growth
        type: derived
        type_params:
          expr: current - previous
          metrics:
            - name: payment_amount
              alias: current
            - name: payment_amount
              alias: previous
              offset_window: 1 month
        time_granularity: month

    saved_queries:
      - name: finance_payments_daily
        label: Daily finance payments
        config:
          group: finance
          schema: exports
          cache:
            enabled: true
          tags: [cfg_tag]
        tags: [daily]
        query_params:
          metrics: [finance_payments]
          group_by: ["TimeDimension('order__payment_date', 'day')"]
          order_by: ["TimeDimension('order__payment_date', 'day')"]
          limit: 100
          where: "{{ Dimension('order__payment_method') }} != 'gift_card'"
        exports:
          - name: finance_daily
            config:
              export_as: view
              alias: fin_daily
          - name: finance_daily_table
            config:
              export_as: table
              schema: other
  `),
  'models/time_spine.yml': dedent(`
    version: 2
    models:
      - name: metricflow_time_spine
        time_spine:
          standard_granularity_column: date_day
        columns:
          - name: date_day
            granularity: day
  `),
  'models/metricflow_time_spine.sql': "{{ config(materialized='table') }}\nselect cast(range as date) as date_day from range(date '2018-01-01', date '2018-12-31', interval 1 day)\n",
};
/** jaffle's dbt_project.yml ends inside `models: jaffle_shop:` (6 spaces): group membership goes on at that depth. */
const PROJECT_TAIL = [
  '      orders:',
  '        +group: finance',
  '      customers:',
  '        +group: marketing',
  '',
  'exposures:',
  '  jaffle_shop:',
  '    +meta:',
  '      team: bi',
  '',
].join('\n');

/** jaffle_shop with the added files, in `dir` (for tx: no project.yml; for dbt: a profiles.yml). */
export function jaffleWithSemantics(dir: string): void {
  cpSync(JAFFLE, dir, { recursive: true });
  writeFiles(dir, ADDED);
  const project = readFileSync(join(dir, 'dbt_project.yml'), 'utf8');
  if (!project.trimEnd().endsWith('materialized: view')) throw new Error('jaffle_shop/dbt_project.yml changed: PROJECT_TAIL continues its `models: jaffle_shop:` block');
  appendFileSync(join(dir, 'dbt_project.yml'), `${project.endsWith('\n') ? '' : '\n'}${PROJECT_TAIL}`);
}

