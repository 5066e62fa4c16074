with

source as (
    select * from {{ source('crm', 'activities') }}
),

latest as (
    select * from source
    {{ keep_latest_extract(['activity_id']) }}
),

final as (
    select
        ---------- ids
        cast(activity_id as varchar) as activity_id,
        cast(rep_id as varchar) as rep_id,
        cast(lead_id as varchar) as lead_id,
        cast(opportunity_id as varchar) as opportunity_id,

        ---------- categories
        cast(activity_type as varchar) as activity_type,

        ---------- timestamps
        cast(occurred_at as timestamp) as occurred_at,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
