-- One row per month x region x product line x channel x deal type x partner x rep with
-- bookings: the net amount of ERP order lines in the reporting currency, the orders they belong
-- to and the accounts whose first order falls in the row.
with

order_lines as (
    select * from {{ ref('int_order_lines_enriched') }}
),

aggregated as (
    select
        order_month as month,
        region,
        product_line,
        channel,
        deal_type,
        partner_id,
        rep_id,
        cast(sum(net_amount_reporting) as decimal(18, 2)) as bookings_amount,
        count(distinct order_id) as order_count,
        count(*) as order_line_count,
        cast(sum(quantity) as bigint) as quantity,
        cast(count_if(is_first_line_of_account) as bigint) as new_customers
    from order_lines
    group by
        order_month,
        region,
        product_line,
        channel,
        deal_type,
        partner_id,
        rep_id
),

final as (
    select
        *,
        {{ as_of_month() }} as as_of_month
    from aggregated
)

select * from final
