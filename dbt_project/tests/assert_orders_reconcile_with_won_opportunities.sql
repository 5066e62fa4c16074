-- A failing row is a close month and segment whose won opportunities were ordered for an
-- amount that differs from the won amount by more than reconciliation_tolerance of it: the
-- CRM and the ERP disagree about what was sold (a wrong amount, a wrong link between order and
-- opportunity, or a discount far beyond the usual).
{{ config(meta={'dagster': {'ref': {'name': 'fct_bookings_reconciliation'}}}) }}

select
    month,
    region,
    product_line,
    channel,
    deal_type,
    won_amount_with_orders,
    ordered_amount,
    relative_difference
from {{ ref('fct_bookings_reconciliation') }}
where
    abs(ordered_amount - won_amount_with_orders)
    > {{ var('reconciliation_tolerance') }} * won_amount_with_orders
