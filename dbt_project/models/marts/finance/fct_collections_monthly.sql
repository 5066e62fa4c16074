-- One row per month x region x product line x channel x deal type x partner with invoices or
-- payments (回款): the amount invoiced and collected in the month, in the reporting currency.
-- Invoices and payments know only their order; they are put on the order's lines pro rata to
-- the lines' net amounts (int_invoices_allocated, int_payments_allocated), to the fen.
with

invoices as (
    select * from {{ ref('int_invoices_allocated') }}
),

payments as (
    select * from {{ ref('int_payments_allocated') }}
),

unioned as (
    select
        invoice_month as month,
        region,
        product_line,
        channel,
        deal_type,
        partner_id,
        invoice_id,
        cast(null as {{ dbt.type_string() }}) as payment_id,
        invoiced_amount,
        cast(0 as decimal(18, 2)) as collected_amount
    from invoices

    union all

    select
        paid_month as month,
        region,
        product_line,
        channel,
        deal_type,
        partner_id,
        cast(null as {{ dbt.type_string() }}) as invoice_id,
        payment_id,
        cast(0 as decimal(18, 2)) as invoiced_amount,
        collected_amount
    from payments
),

aggregated as (
    select
        month,
        region,
        product_line,
        channel,
        deal_type,
        partner_id,
        cast(sum(collected_amount) as decimal(18, 2)) as collected_amount,
        cast(sum(invoiced_amount) as decimal(18, 2)) as invoiced_amount,
        count(distinct payment_id) as payment_count,
        count(distinct invoice_id) as invoice_count
    from unioned
    group by
        month,
        region,
        product_line,
        channel,
        deal_type,
        partner_id
),

final as (
    select
        *,
        {{ as_of_month() }} as as_of_month
    from aggregated
)

select * from final
