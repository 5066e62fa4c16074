-- One row per month x region x product line x channel x deal type x rep x partner with any
-- funnel activity: leads created, MQLs and SQLs reached (in the month of the step),
-- opportunities created, won and lost (in the close month), the won amount and the activities
-- by type. Leads carry the lead's segment (int_leads_enriched), activities the segment of what
-- they are linked to (int_activities_attributed).
with

leads as (
    select * from {{ ref('int_leads_enriched') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

activities as (
    select * from {{ ref('int_activities_attributed') }}
),

steps as (
    select
        created_month as month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        cast(null as varchar) as partner_id,
        'lead' as step,
        cast(0 as decimal(18, 2)) as won_amount
    from leads

    union all

    select
        cast(date_trunc('month', mql_at) as date) as month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        cast(null as varchar) as partner_id,
        'mql' as step,
        cast(0 as decimal(18, 2)) as won_amount
    from leads
    where mql_at is not null

    union all

    select
        cast(date_trunc('month', sql_at) as date) as month,
        region,
        product_line,
        channel,
        deal_type,
        rep_id,
        cast(null as varchar) as partner_id,
        'sql' as step,
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
        'opportunity_created' as step,
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
        case when is_won then 'opportunity_won' else 'opportunity_lost' end as step,
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
        'activity_' || activity_type as step,
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
        cast(count_if(step = 'lead') as bigint) as leads,
        cast(count_if(step = 'mql') as bigint) as mqls,
        cast(count_if(step = 'sql') as bigint) as sqls,
        cast(count_if(step = 'opportunity_created') as bigint) as opportunities_created,
        cast(count_if(step = 'opportunity_won') as bigint) as opportunities_won,
        cast(count_if(step = 'opportunity_lost') as bigint) as opportunities_lost,
        cast(sum(won_amount) as decimal(18, 2)) as won_amount,
        cast(count_if(step = 'activity_call') as bigint) as activities_call,
        cast(count_if(step = 'activity_visit') as bigint) as activities_visit,
        cast(count_if(step = 'activity_email') as bigint) as activities_email,
        cast(count_if(step = 'activity_demo') as bigint) as activities_demo,
        cast(count_if(step = 'activity_meeting') as bigint) as activities_meeting
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
