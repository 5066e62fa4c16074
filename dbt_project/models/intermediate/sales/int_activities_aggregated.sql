-- One row per month x rep x activity type x attributed segment: how many activities the rep
-- logged. An activity is attributed to the segment of the opportunity it is linked to, else of
-- the lead it is linked to (attributed_to); one linked to neither (prospecting, account care)
-- keeps the rep's region and has no product line, channel or deal type (attributed_to = rep).
-- The marts only count activities, so they are counted here once: on the default demo this
-- table has about 40% of the rows of the activities themselves.
with

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

leads as (
    select * from {{ ref('int_leads_enriched') }}
),

reps as (
    select * from {{ ref('stg_crm__reps') }}
),

joined as (
    select
        activities.*,
        case
            when opportunities.opportunity_id is not null then 'opportunity'
            when leads.lead_id is not null then 'lead'
            else 'rep'
        end as attributed_to,
        opportunities.region as opportunity_region,
        opportunities.product_line as opportunity_product_line,
        opportunities.channel as opportunity_channel,
        opportunities.deal_type as opportunity_deal_type,
        opportunities.partner_id as opportunity_partner_id,
        leads.region as lead_region,
        leads.product_line as lead_product_line,
        leads.channel as lead_channel,
        leads.deal_type as lead_deal_type,
        reps.region as rep_region
    from activities
    left join opportunities
        on activities.opportunity_id = opportunities.opportunity_id
    left join leads
        on activities.lead_id = leads.lead_id
    left join reps
        on activities.rep_id = reps.rep_id
),

attributed as (
    select
        ---------- segment
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as activity_month,
        rep_id,
        attributed_to,
        case attributed_to
            when 'opportunity' then opportunity_region
            when 'lead' then lead_region
            else rep_region
        end as region,
        case attributed_to
            when 'opportunity' then opportunity_product_line
            when 'lead' then lead_product_line
        end as product_line,
        case attributed_to
            when 'opportunity' then opportunity_channel
            when 'lead' then lead_channel
        end as channel,
        case attributed_to
            when 'opportunity' then opportunity_deal_type
            when 'lead' then lead_deal_type
        end as deal_type,
        case attributed_to when 'opportunity' then opportunity_partner_id end as partner_id,

        ---------- what
        activity_type
    from joined
),

aggregated as (
    select
        activity_month,
        rep_id,
        activity_type,
        attributed_to,
        region,
        product_line,
        channel,
        deal_type,
        partner_id,
        count(*) as activity_count
    from attributed
    group by
        activity_month,
        rep_id,
        activity_type,
        attributed_to,
        region,
        product_line,
        channel,
        deal_type,
        partner_id
),

final as (
    select * from aggregated
)

select * from final
