-- One row per lead in its latest state before the as-of month, with its segment keys, the
-- opportunity it converted to, and the calendar days each funnel step took.
--
-- A lead's segment is fixed when the lead is created: region, product line and owner from the
-- lead; channel `partner` when the lead came from a partner (source_channel = 'partner'), else
-- `direct`; deal type `new` (leads are new business; expansions and renewals start as
-- opportunities). Taking channel or deal type from the converted opportunity instead would
-- move converting leads, and only those, into another segment and bias every rate.
with

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

joined as (
    select
        leads.*,
        opportunities.opportunity_id as found_opportunity_id,
        opportunities.created_at as opportunity_created_at,
        opportunities.is_won as opportunity_is_won,
        opportunities.close_date as opportunity_close_date,
        opportunities.amount_reporting as opportunity_amount
    from leads
    left join opportunities
        on leads.converted_opportunity_id = opportunities.opportunity_id
),

final as (
    select
        ---------- ids
        lead_id,
        found_opportunity_id as converted_opportunity_id,

        ---------- segment
        region,
        product_line,
        case when source_channel = 'partner' then 'partner' else 'direct' end as channel,
        'new' as deal_type,
        owner_rep_id as rep_id,
        source_channel,

        ---------- funnel timestamps
        created_at,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as created_month,
        mql_at,
        sql_at,
        disqualified_at,
        opportunity_created_at,
        opportunity_is_won,
        opportunity_close_date,
        opportunity_amount,

        ---------- step lags in calendar days
        {{ dbt.datediff('cast(created_at as date)', 'cast(mql_at as date)', 'day') }}
            as lead_to_mql_days,
        {{ dbt.datediff('cast(mql_at as date)', 'cast(sql_at as date)', 'day') }}
            as mql_to_sql_days,
        {{ dbt.datediff('cast(sql_at as date)', 'cast(opportunity_created_at as date)', 'day') }}
            as sql_to_opportunity_days
    from joined
)

select * from final
