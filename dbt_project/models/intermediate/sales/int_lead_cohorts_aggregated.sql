-- One row per lead creation cohort (the month the leads were created) and lead segment:
-- how many of the cohort's leads reached MQL, SQL, an opportunity and a won deal within the
-- cohort's observation window, and how long each step took.
--
-- The window of cohort m is the months m .. m + lead_cohort_maturity_months - 1; a step counts
-- only if it happened before the window ends, and the cohort is mature once its window lies
-- wholly before the as-of month. Mature cohorts are therefore all measured over the same
-- horizon and their rates are comparable; younger cohorts are kept (is_mature = false) so the
-- funnel can be watched filling up, but fct_funnel_rates ignores them.
--
-- The funnel is a chain: a lead counts at a stage only if it also reached every earlier one.
with

leads as (
    select * from {{ ref('int_leads_enriched') }}
),

windowed as (
    select
        *,
        cast(
            {{ dbt.dateadd('month', var('lead_cohort_maturity_months'), 'created_month') }}
            as date
        ) as window_end_month
    from leads
),

staged as (
    select
        *,
        coalesce(mql_at < window_end_month, false) as reached_mql,
        coalesce(
            mql_at < window_end_month and sql_at < window_end_month, false
        ) as reached_sql,
        coalesce(
            mql_at < window_end_month
            and sql_at < window_end_month
            and opportunity_created_at < window_end_month,
            false
        ) as reached_opportunity,
        coalesce(
            mql_at < window_end_month
            and sql_at < window_end_month
            and opportunity_created_at < window_end_month
            and opportunity_is_won
            and opportunity_close_date < window_end_month,
            false
        ) as reached_won
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
        count(*) as n_leads,
        cast(count_if(reached_mql) as bigint) as n_mqls,
        cast(count_if(reached_sql) as bigint) as n_sqls,
        cast(count_if(reached_opportunity) as bigint) as n_opportunities,
        cast(count_if(reached_won) as bigint) as n_won,
        cast(
            coalesce(sum(opportunity_amount) filter (where reached_won), 0) as decimal(18, 2)
        ) as won_amount,
        median(lead_to_mql_days) filter (where reached_mql) as lead_to_mql_days_p50,
        median(mql_to_sql_days) filter (where reached_sql) as mql_to_sql_days_p50,
        median(sql_to_opportunity_days) filter (
            where reached_opportunity
        ) as sql_to_opportunity_days_p50
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
