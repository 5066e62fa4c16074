-- One row per month x region x product line x channel x deal type x rep x partner with any
-- funnel activity: leads created, MQLs and SQLs reached (in the month of the step),
-- opportunities created, won and lost (in the close month), the won amount and the activities
-- by type. Leads carry the lead's segment (int_leads_enriched), activities the segment of what
-- they are linked to (int_activities_aggregated). Each step is named after the measure it
-- counts.
with

leads as (
    select * from {{ ref('int_leads_enriched') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

activities as (
    select * from {{ ref('int_activities_aggregated') }}
),

steps as (
    select
        created_month as month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        cast(null as {{ dbt.type_string() }}) as partner_id,
        'leads' as step,
        1 as step_count,
        cast(0 as decimal(18, 2)) as won_amount
    from leads

    union all

    select
        cast({{ dbt.date_trunc('month', 'mql_at') }} as date) as month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        cast(null as {{ dbt.type_string() }}) as partner_id,
        'mqls' as step,
        1 as step_count,
        cast(0 as decimal(18, 2)) as won_amount
    from leads
    where mql_at is not null

    union all

    select
        cast({{ dbt.date_trunc('month', 'sql_at') }} as date) as month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        cast(null as {{ dbt.type_string() }}) as partner_id,
        'sqls' as step,
        1 as step_count,
        cast(0 as decimal(18, 2)) as won_amount
    from leads
    where sql_at is not null

    union all

    select
        created_month as month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        partner_id,
        'opportunities_created' as step,
        1 as step_count,
        cast(0 as decimal(18, 2)) as won_amount
    from opportunities

    union all

    select
        close_month as month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        partner_id,
        case when is_won then 'opportunities_won' else 'opportunities_lost' end as step,
        1 as step_count,
        case when is_won then amount_reporting else 0 end as won_amount
    from opportunities
    -- A close dated in the as-of month or later is not an actual yet.
    where is_closed and close_month < {{ as_of_month() }}

    union all

    select
        activity_month as month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        partner_id,
        'activities_' || activity_type as step,
        activity_count as step_count,
        cast(0 as decimal(18, 2)) as won_amount
    from activities
),

aggregated as (
    select
        month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        partner_id,
        cast(
            sum(case when step = 'leads' then step_count else 0 end) as bigint
        ) as leads,
        cast(
            sum(case when step = 'mqls' then step_count else 0 end) as bigint
        ) as mqls,
        cast(
            sum(case when step = 'sqls' then step_count else 0 end) as bigint
        ) as sqls,
        cast(
            sum(case when step = 'opportunities_created' then step_count else 0 end) as bigint
        ) as opportunities_created,
        cast(
            sum(case when step = 'opportunities_won' then step_count else 0 end) as bigint
        ) as opportunities_won,
        cast(
            sum(case when step = 'opportunities_lost' then step_count else 0 end) as bigint
        ) as opportunities_lost,
        cast(sum(won_amount) as decimal(18, 2)) as won_amount,
        cast(
            sum(case when step = 'activities_call' then step_count else 0 end) as bigint
        ) as activities_call,
        cast(
            sum(case when step = 'activities_visit' then step_count else 0 end) as bigint
        ) as activities_visit,
        cast(
            sum(case when step = 'activities_email' then step_count else 0 end) as bigint
        ) as activities_email,
        cast(
            sum(case when step = 'activities_demo' then step_count else 0 end) as bigint
        ) as activities_demo,
        cast(
            sum(case when step = 'activities_meeting' then step_count else 0 end) as bigint
        ) as activities_meeting
    from steps
    group by
        month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        partner_id
),

final as (
    select
        *,
        {{ as_of_month() }} as as_of_month
    from aggregated
)

select * from final
