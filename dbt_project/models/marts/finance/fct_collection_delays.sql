-- One row per rollup level (company, region, region_product_line, segment = region x product
-- line x channel) and deal type (NULL = all deal types): how long customers took to pay, over
-- the payments received in the latest rate_window_months closed months. Delays are calendar
-- days from the invoice date to the payment date, one observation per payment and order line
-- it was allocated to.
with

payments as (
    select * from {{ ref('int_payments_allocated') }}
),

window_payments as (
    select
        region,
        product_line,
        channel,
        deal_type,
        payment_id,
        collected_amount,
        delay_days,
        days_past_due
    from payments
    where paid_month >= {{ as_of_month_plus(-var('rate_window_months')) }}
),

aggregated as (
    select
        {{ rollup_level(depth=4) }} as level,
        region,
        product_line,
        channel,
        deal_type,
        count(distinct payment_id) as n_payments,
        cast(sum(collected_amount) as decimal(18, 2)) as collected_amount,
        round({{ quantile_cont('delay_days', 0.25) }}, 2) as delay_days_p25,
        round({{ quantile_cont('delay_days', 0.50) }}, 2) as delay_days_p50,
        round({{ quantile_cont('delay_days', 0.75) }}, 2) as delay_days_p75,
        round({{ quantile_cont('delay_days', 0.90) }}, 2) as delay_days_p90,
        -- Ratios of money are doubles (DuckDB divides decimals in double anyway; Spark would
        -- keep a decimal of its own precision), so both engines compute the same value.
        cast(sum(collected_amount * delay_days) as double)
        / nullif(cast(sum(collected_amount) as double), 0) as amount_weighted_delay_days,
        cast(sum(collected_amount) filter (where days_past_due > 0) as double)
        / nullif(cast(sum(collected_amount) as double), 0) as late_share
    from window_payments
    group by {{ rollup_group_by(depth=4) }}
    having not {{ rollup_has_null_key(depth=4) }}
),

final as (
    select
        level,
        region,
        product_line,
        channel,
        deal_type,
        n_payments,
        collected_amount,
        cast(delay_days_p25 as double) as delay_days_p25,
        cast(delay_days_p50 as double) as delay_days_p50,
        cast(delay_days_p75 as double) as delay_days_p75,
        cast(delay_days_p90 as double) as delay_days_p90,
        cast(amount_weighted_delay_days as double) as amount_weighted_delay_days,
        cast(coalesce(late_share, 0) as double) as late_share,
        {{ as_of_month() }} as as_of_month
    from aggregated
)

select * from final
