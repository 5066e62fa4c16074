-- One row per close month x region x product line x channel x deal type with won
-- opportunities: the won amount in the CRM against the amount ordered in the ERP for those
-- same opportunities (order lines linked to them, whatever the order date). Won deals whose
-- order has not been booked yet are counted apart, so the comparison is like for like.
with

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_enriched') }}
),

ordered_per_opportunity as (
    select
        opportunity_id,
        cast(sum(net_amount_reporting) as decimal(18, 2)) as ordered_amount
    from order_lines
    where opportunity_id is not null
    group by opportunity_id
),

won as (
    select
        opportunities.close_month,
        opportunities.region,
        opportunities.product_line,
        opportunities.channel,
        opportunities.deal_type,
        opportunities.amount_reporting as won_amount,
        ordered_per_opportunity.ordered_amount
    from opportunities
    left join ordered_per_opportunity
        on opportunities.opportunity_id = ordered_per_opportunity.opportunity_id
    where
        opportunities.is_won
        and opportunities.close_month < {{ as_of_month() }}
),

aggregated as (
    select
        close_month as month,
        region,
        product_line,
        channel,
        deal_type,
        count(*) as won_opportunities,
        cast(sum(won_amount) as decimal(18, 2)) as won_amount,
        count(ordered_amount) as won_opportunities_with_orders,
        cast(
            coalesce(sum(won_amount) filter (where ordered_amount is not null), 0)
            as decimal(18, 2)
        ) as won_amount_with_orders,
        cast(coalesce(sum(ordered_amount), 0) as decimal(18, 2)) as ordered_amount,
        cast(
            coalesce(sum(won_amount) filter (where ordered_amount is null), 0)
            as decimal(18, 2)
        ) as won_amount_without_orders
    from won
    group by
        close_month,
        region,
        product_line,
        channel,
        deal_type
),

final as (
    select
        *,
        cast(ordered_amount - won_amount_with_orders as decimal(18, 2)) as difference_amount,
        cast(ordered_amount - won_amount_with_orders as double)
        / nullif(cast(won_amount_with_orders as double), 0) as relative_difference,
        coalesce(
            abs(ordered_amount - won_amount_with_orders)
            <= {{ var('reconciliation_tolerance') }} * won_amount_with_orders,
            true
        ) as is_within_tolerance,
        {{ as_of_month() }} as as_of_month
    from aggregated
)

select * from final
