-- A failing row is a payment whose allocated parts do not add up to the payment converted to
-- the reporting currency, or that was not allocated at all (its invoice or order is unknown):
-- fct_collections_monthly would then gain or lose money.
{{ config(meta={'dagster': {'ref': {'name': 'int_payments_allocated'}}}) }}

with

payments as (
    select * from {{ ref('stg_erp__payments') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_filled') }}
),

allocated as (
    select
        payment_id,
        sum(collected_amount) as allocated_amount
    from {{ ref('int_payments_allocated') }}
    group by payment_id
),

converted as (
    select
        payments.payment_id,
        {{ to_reporting_currency(
            'payments.amount', 'payments.currency', 'fx_rates.rate_to_reporting_currency'
        ) }} as payment_amount
    from payments
    left join fx_rates
        on
            payments.currency = fx_rates.currency
            and cast(
                {{ dbt.date_trunc('month', 'payments.paid_at') }} as date
            ) = fx_rates.rate_month
)

select
    converted.payment_id,
    converted.payment_amount,
    allocated.allocated_amount
from converted
left join allocated
    on converted.payment_id = allocated.payment_id
where allocated.allocated_amount is distinct from converted.payment_amount
