-- One row per rollup level (company, region, region_product_line, segment = region x product
-- line x channel, rep) and deal type (NULL = all deal types): the funnel rates the reverse
-- funnel plans with, the sample size behind each, the step lags and the sales-cycle quantiles.
-- See _sales__models.yml for the method.
with

lead_cohorts as (
    select * from {{ ref('int_lead_cohorts_aggregated') }}
),

opportunity_cohorts as (
    select * from {{ ref('int_opportunity_cohorts_aggregated') }}
),

leads as (
    select * from {{ ref('int_leads_enriched') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

activities as (
    select * from {{ ref('int_activities_aggregated') }}
),

-- Conversion rates: the latest rate_window_months mature lead cohorts.
lead_cohort_counts as (
    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        n_leads,
        n_mqls,
        n_sqls,
        n_opportunities as n_lead_opportunities
    from lead_cohorts
    where
        is_mature
        and window_end_month > {{ as_of_month_plus(-var('rate_window_months')) }}
),

-- Win rate and deal size: the latest rate_window_months mature opportunity cohorts.
opportunity_cohort_counts as (
    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        n_closed as n_opportunities_closed,
        n_won,
        won_amount
    from opportunity_cohorts
    where
        is_mature
        and window_end_month > {{ as_of_month_plus(-var('rate_window_months')) }}
),

-- Step lags: the steps completed in the latest rate_window_months closed months (sampled at
-- the later step, which is how work is placed backwards from the month it must pay off).
lead_lags as (
    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        case
            when mql_at >= {{ as_of_month_plus(-var('rate_window_months')) }}
                then lead_to_mql_days
        end as lead_to_mql_days,
        case
            when sql_at >= {{ as_of_month_plus(-var('rate_window_months')) }}
                then mql_to_sql_days
        end as mql_to_sql_days,
        case
            when opportunity_created_at >= {{ as_of_month_plus(-var('rate_window_months')) }}
                then sql_to_opportunity_days
        end as sql_to_opportunity_days
    from leads
    where
        mql_at >= {{ as_of_month_plus(-var('rate_window_months')) }}
        or sql_at >= {{ as_of_month_plus(-var('rate_window_months')) }}
        or opportunity_created_at >= {{ as_of_month_plus(-var('rate_window_months')) }}
),

-- Sales cycle: won deals closed in the latest rate_window_months closed months.
won_cycles as (
    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        cycle_days
    from opportunities
    where
        is_won
        and close_month >= {{ as_of_month_plus(-var('rate_window_months')) }}
        and close_month < {{ as_of_month() }}
),

-- Effort: activities, opportunities created and deals won in the same closed months.
window_opportunities as (
    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        created_month >= {{ as_of_month_plus(-var('rate_window_months')) }} as is_created_in_window,
        coalesce(
            is_won
            and close_month >= {{ as_of_month_plus(-var('rate_window_months')) }}
            and close_month < {{ as_of_month() }},
            false
        ) as is_won_in_window
    from opportunities
),

window_activities as (
    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        activity_type,
        activity_count
    from activities
    where activity_month >= {{ as_of_month_plus(-var('rate_window_months')) }}
),

unioned as (
    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        n_leads,
        n_mqls,
        n_sqls,
        n_lead_opportunities,
        0 as n_opportunities_closed,
        0 as n_won,
        cast(0 as decimal(18, 2)) as won_amount,
        null as lead_to_mql_days,
        null as mql_to_sql_days,
        null as sql_to_opportunity_days,
        null as cycle_days,
        0 as n_opportunities_created_in_window,
        0 as n_won_in_window,
        null as activity_type,
        0 as activity_count
    from lead_cohort_counts

    union all

    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        0 as n_leads,
        0 as n_mqls,
        0 as n_sqls,
        0 as n_lead_opportunities,
        n_opportunities_closed,
        n_won,
        won_amount,
        null as lead_to_mql_days,
        null as mql_to_sql_days,
        null as sql_to_opportunity_days,
        null as cycle_days,
        0 as n_opportunities_created_in_window,
        0 as n_won_in_window,
        null as activity_type,
        0 as activity_count
    from opportunity_cohort_counts

    union all

    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        0 as n_leads,
        0 as n_mqls,
        0 as n_sqls,
        0 as n_lead_opportunities,
        0 as n_opportunities_closed,
        0 as n_won,
        cast(0 as decimal(18, 2)) as won_amount,
        lead_to_mql_days,
        mql_to_sql_days,
        sql_to_opportunity_days,
        null as cycle_days,
        0 as n_opportunities_created_in_window,
        0 as n_won_in_window,
        null as activity_type,
        0 as activity_count
    from lead_lags

    union all

    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        0 as n_leads,
        0 as n_mqls,
        0 as n_sqls,
        0 as n_lead_opportunities,
        0 as n_opportunities_closed,
        0 as n_won,
        cast(0 as decimal(18, 2)) as won_amount,
        null as lead_to_mql_days,
        null as mql_to_sql_days,
        null as sql_to_opportunity_days,
        cycle_days,
        0 as n_opportunities_created_in_window,
        0 as n_won_in_window,
        null as activity_type,
        0 as activity_count
    from won_cycles

    union all

    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        0 as n_leads,
        0 as n_mqls,
        0 as n_sqls,
        0 as n_lead_opportunities,
        0 as n_opportunities_closed,
        0 as n_won,
        cast(0 as decimal(18, 2)) as won_amount,
        null as lead_to_mql_days,
        null as mql_to_sql_days,
        null as sql_to_opportunity_days,
        null as cycle_days,
        case when is_created_in_window then 1 else 0 end as n_opportunities_created_in_window,
        case when is_won_in_window then 1 else 0 end as n_won_in_window,
        null as activity_type,
        0 as activity_count
    from window_opportunities
    where is_created_in_window or is_won_in_window

    union all

    select
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        0 as n_leads,
        0 as n_mqls,
        0 as n_sqls,
        0 as n_lead_opportunities,
        0 as n_opportunities_closed,
        0 as n_won,
        cast(0 as decimal(18, 2)) as won_amount,
        null as lead_to_mql_days,
        null as mql_to_sql_days,
        null as sql_to_opportunity_days,
        null as cycle_days,
        0 as n_opportunities_created_in_window,
        0 as n_won_in_window,
        activity_type,
        activity_count
    from window_activities
),

aggregated as (
    select
        {{ rollup_level() }} as level,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        cast(sum(n_leads) as bigint) as n_leads,
        cast(sum(n_mqls) as bigint) as n_mqls,
        cast(sum(n_sqls) as bigint) as n_sqls,
        cast(sum(n_lead_opportunities) as bigint) as n_lead_opportunities,
        cast(sum(n_opportunities_closed) as bigint) as n_opportunities_closed,
        cast(sum(n_won) as bigint) as n_won,
        cast(sum(won_amount) as decimal(18, 2)) as won_amount,
        cast(median(lead_to_mql_days) as double) as lead_to_mql_days,
        cast(median(mql_to_sql_days) as double) as mql_to_sql_days,
        cast(median(sql_to_opportunity_days) as double) as sql_to_opportunity_days,
        count(cycle_days) as n_cycle_deals,
        round({{ quantile_cont('cycle_days', 0.25) }}, 2) as cycle_days_p25,
        round({{ quantile_cont('cycle_days', 0.50) }}, 2) as cycle_days_p50,
        round({{ quantile_cont('cycle_days', 0.75) }}, 2) as cycle_days_p75,
        round({{ quantile_cont('cycle_days', 0.90) }}, 2) as cycle_days_p90,
        cast(sum(n_opportunities_created_in_window) as bigint)
            as n_opportunities_created_in_window,
        cast(sum(n_won_in_window) as bigint) as n_won_in_window,
        cast(coalesce(sum(activity_count) filter (where activity_type = 'call'), 0) as bigint)
            as calls_in_window,
        cast(coalesce(sum(activity_count) filter (where activity_type = 'visit'), 0) as bigint)
            as visits_in_window,
        cast(coalesce(sum(activity_count) filter (where activity_type = 'email'), 0) as bigint)
            as emails_in_window,
        cast(coalesce(sum(activity_count) filter (where activity_type = 'demo'), 0) as bigint)
            as demos_in_window,
        cast(coalesce(sum(activity_count) filter (where activity_type = 'meeting'), 0) as bigint)
            as meetings_in_window
    from unioned
    group by {{ rollup_group_by() }}
    having not {{ rollup_has_null_key() }}
),

rated as (
    select
        level,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,

        ---------- conversion rates (mature lead cohorts) and their sample sizes
        n_mqls / nullif(n_leads, 0) as lead_to_mql_rate,
        n_sqls / nullif(n_mqls, 0) as mql_to_sql_rate,
        n_lead_opportunities / nullif(n_sqls, 0) as sql_to_opportunity_rate,
        n_leads,
        n_mqls,
        n_sqls,
        n_lead_opportunities,

        ---------- win rate and deal size (mature opportunity cohorts)
        n_won / nullif(n_opportunities_closed, 0) as win_rate,
        {{ divide_to_the_fen('won_amount', 'n_won') }} as avg_won_amount,
        n_opportunities_closed,
        n_won,
        won_amount,

        ---------- step lags, median calendar days
        lead_to_mql_days,
        mql_to_sql_days,
        sql_to_opportunity_days,

        ---------- sales cycle of won deals, calendar days
        cycle_days_p25,
        cycle_days_p50,
        cycle_days_p75,
        cycle_days_p90,
        n_cycle_deals,

        ---------- effort per opportunity created and per deal won
        calls_in_window / nullif(n_opportunities_created_in_window, 0) as calls_per_opportunity,
        visits_in_window / nullif(n_opportunities_created_in_window, 0) as visits_per_opportunity,
        emails_in_window / nullif(n_opportunities_created_in_window, 0) as emails_per_opportunity,
        demos_in_window / nullif(n_opportunities_created_in_window, 0) as demos_per_opportunity,
        meetings_in_window / nullif(n_opportunities_created_in_window, 0)
            as meetings_per_opportunity,
        calls_in_window / nullif(n_won_in_window, 0) as calls_per_won,
        visits_in_window / nullif(n_won_in_window, 0) as visits_per_won,
        emails_in_window / nullif(n_won_in_window, 0) as emails_per_won,
        demos_in_window / nullif(n_won_in_window, 0) as demos_per_won,
        meetings_in_window / nullif(n_won_in_window, 0) as meetings_per_won,
        n_opportunities_created_in_window,
        n_won_in_window
    from aggregated
),

final as (
    select
        *,
        {{ as_of_month() }} as as_of_month
    from rated
)

select * from final
