-- One row per opportunity creation cohort (the month the opportunities were created) and
-- segment: how many closed, won and lost within the cohort's observation window, and the won
-- amount in the reporting currency.
--
-- The window of cohort m is the months m .. m + opportunity_cohort_maturity_months - 1; a close
-- counts only if close_date falls before the window ends, and the cohort is mature once its
-- window lies wholly before the as-of month (same rule as int_lead_cohorts_aggregated). The
-- win rate of mature cohorts, won / closed, compares every cohort over the same horizon instead
-- of dividing this month's wins by this month's closes, which mixes deals of different ages.
with

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

windowed as (
    select
        *,
        cast(
            {{ dbt.dateadd('month', var('opportunity_cohort_maturity_months'), 'created_month') }}
            as date
        ) as window_end_month
    from opportunities
),

staged as (
    select
        *,
        coalesce(is_closed and close_date < window_end_month, false) as closed_in_window,
        coalesce(is_won and close_date < window_end_month, false) as won_in_window,
        coalesce(is_lost and close_date < window_end_month, false) as lost_in_window
    from windowed
),

aggregated as (
    select
        created_month as cohort_month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        window_end_month,
        window_end_month <= {{ as_of_month() }} as is_mature,
        count(*) as n_opportunities,
        cast(count_if(closed_in_window) as bigint) as n_closed,
        cast(count_if(won_in_window) as bigint) as n_won,
        cast(count_if(lost_in_window) as bigint) as n_lost,
        cast(
            coalesce(sum(amount_reporting) filter (where won_in_window), 0) as decimal(18, 2)
        ) as won_amount
    from staged
    group by
        created_month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        window_end_month
),

final as (
    select * from aggregated
)

select * from final
