-- A failing row is an invoice whose allocated parts do not add up to the invoice converted to
-- the reporting currency, or that was not allocated at all (its order is unknown):
-- fct_collections_monthly would then show more or less invoiced than was invoiced.
{{ config(meta={'dagster': {'ref': {'name': 'int_invoices_allocated'}}}) }}

with

invoices as (
    select * from {{ ref('stg_erp__invoices') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_filled') }}
),

allocated as (
    select
        invoice_id,
        sum(invoiced_amount) as allocated_amount
    from {{ ref('int_invoices_allocated') }}
    group by invoice_id
),

converted as (
    select
        invoices.invoice_id,
        {{ to_reporting_currency(
            'invoices.amount', 'invoices.currency', 'fx_rates.rate_to_reporting_currency'
        ) }} as invoice_amount
    from invoices
    left join fx_rates
        on
            invoices.currency = fx_rates.currency
            and cast(
                {{ dbt.date_trunc('month', 'invoices.invoice_date') }} as date
            ) = fx_rates.rate_month
)

select
    converted.invoice_id,
    converted.invoice_amount,
    allocated.allocated_amount
from converted
left join allocated
    on converted.invoice_id = allocated.invoice_id
where allocated.allocated_amount is distinct from converted.invoice_amount
