-- One row per invoice and line of the invoiced order: the invoice amount (in the reporting
-- currency, rate of the invoice month) split over the order's lines pro rata to their net
-- amounts, to the fen, with largest-remainder rounding so the parts sum exactly to the invoice.
-- This is what puts invoices, which know only their order, on a product line and segment.
with

invoices as (
    select * from {{ ref('stg_erp__invoices') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_enriched') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_filled') }}
),

converted as (
    select
        invoices.*,
        cast({{ dbt.date_trunc('month', 'invoices.invoice_date') }} as date) as invoice_month,
        {{ to_reporting_currency(
            'invoices.amount', 'invoices.currency', 'fx_rates.rate_to_reporting_currency'
        ) }} as amount_reporting
    from invoices
    left join fx_rates
        on
            invoices.currency = fx_rates.currency
            and cast(
                {{ dbt.date_trunc('month', 'invoices.invoice_date') }} as date
            ) = fx_rates.rate_month
),

weighted as (
    select
        converted.invoice_id,
        converted.invoice_date,
        converted.invoice_month,
        converted.due_date,
        order_lines.order_id,
        order_lines.line_no,
        order_lines.region,
        order_lines.product_line,
        order_lines.channel,
        order_lines.deal_type,
        order_lines.partner_id,
        cast(round(converted.amount_reporting * 100) as {{ type_cents() }}) as invoice_cents,
        cast(round(order_lines.net_amount * 100) as {{ type_cents() }}) as line_cents,
        sum(cast(round(order_lines.net_amount * 100) as {{ type_cents() }})) over (
            partition by converted.invoice_id
        ) as order_cents,
        count(*) over (partition by converted.invoice_id) as order_line_count
    from converted
    inner join order_lines
        on converted.order_id = order_lines.order_id
),

allocated as (
    select
        *,
        -- An order whose lines are all zero shares the invoice evenly.
        {{ allocate_cents(
            'invoice_cents',
            'case when order_cents = 0 then 1 else line_cents end',
            'case when order_cents = 0 then order_line_count else order_cents end',
            'invoice_id',
            'order_id, line_no'
        ) }} as allocated_cents
    from weighted
),

final as (
    select
        ---------- ids
        invoice_id,
        order_id,
        line_no,

        ---------- segment
        region,
        product_line,
        channel,
        deal_type,
        partner_id,

        ---------- dates
        invoice_date,
        invoice_month,
        due_date,

        ---------- amounts
        cast(cast(allocated_cents as decimal(18, 0)) * 0.01 as decimal(18, 2)) as invoiced_amount
    from allocated
)

select * from final
