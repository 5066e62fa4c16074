with

source as (
    select * from {{ source('crm', 'activities') }}
),

latest as (
    {{ keep_latest_extract('source', ['activity_id']) }}
),

final as (
    select
        ---------- ids
        cast(activity_id as {{ dbt.type_string() }}) as activity_id,
        cast(rep_id as {{ dbt.type_string() }}) as rep_id,
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,

        ---------- categories
        cast(activity_type as {{ dbt.type_string() }}) as activity_type,

        ---------- timestamps
        cast(occurred_at as timestamp) as occurred_at,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
