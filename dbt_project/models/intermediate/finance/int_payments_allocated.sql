-- One row per payment (回款) and line of the paid invoice's order: the payment (in the
-- reporting currency, rate of the payment month) split over the order's lines pro rata to their
-- net amounts, to the fen, with largest-remainder rounding so the parts sum exactly to the
-- payment, plus the collection delay of the payment.
with

payments as (
    select * from {{ ref('stg_erp__payments') }}
),

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
        payments.*,
        cast({{ dbt.date_trunc('month', 'payments.paid_at') }} as date) as paid_month,
        {{ to_reporting_currency(
            'payments.amount', 'payments.currency', 'fx_rates.rate_to_reporting_currency'
        ) }} as amount_reporting
    from payments
    left join fx_rates
        on
            payments.currency = fx_rates.currency
            and cast(
                {{ dbt.date_trunc('month', 'payments.paid_at') }} as date
            ) = fx_rates.rate_month
),

weighted as (
    select
        converted.payment_id,
        converted.invoice_id,
        converted.paid_at,
        converted.paid_month,
        invoices.invoice_date,
        invoices.due_date,
        order_lines.order_id,
        order_lines.line_no,
        order_lines.region,
        order_lines.product_line,
        order_lines.channel,
        order_lines.deal_type,
        order_lines.partner_id,
        cast(round(converted.amount_reporting * 100) as {{ type_cents() }}) as payment_cents,
        cast(round(order_lines.net_amount * 100) as {{ type_cents() }}) as line_cents,
        sum(cast(round(order_lines.net_amount * 100) as {{ type_cents() }})) over (
            partition by converted.payment_id
        ) as order_cents,
        count(*) over (partition by converted.payment_id) as order_line_count
    from converted
    inner join invoices
        on converted.invoice_id = invoices.invoice_id
    inner join order_lines
        on invoices.order_id = order_lines.order_id
),

allocated as (
    select
        *,
        -- An order whose lines are all zero shares the payment evenly.
        {{ allocate_cents(
            'payment_cents',
            'case when order_cents = 0 then 1 else line_cents end',
            'case when order_cents = 0 then order_line_count else order_cents end',
            'payment_id',
            'order_id, line_no'
        ) }} as allocated_cents
    from weighted
),

final as (
    select
        ---------- ids
        payment_id,
        invoice_id,
        order_id,
        line_no,

        ---------- segment
        region,
        product_line,
        channel,
        deal_type,
        partner_id,

        ---------- dates and delays
        paid_at,
        paid_month,
        invoice_date,
        due_date,
        {{ dbt.datediff('invoice_date', 'paid_at', 'day') }}
            as delay_days,
        {{ dbt.datediff('due_date', 'paid_at', 'day') }}
            as days_past_due,

        ---------- amounts
        cast(cast(allocated_cents as decimal(18, 0)) * 0.01 as decimal(18, 2)) as collected_amount
    from allocated
)

select * from final
