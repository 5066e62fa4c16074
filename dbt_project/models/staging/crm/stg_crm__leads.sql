with

source as (
    select * from {{ source('crm', 'leads') }}
),

latest as (
    select * from source
    {{ keep_latest_extract(['lead_id']) }}
),

final as (
    select
        ---------- ids
        cast(lead_id as varchar) as lead_id,
        cast(owner_rep_id as varchar) as owner_rep_id,
        cast(converted_opportunity_id as varchar) as converted_opportunity_id,

        ---------- categories
        cast(source_channel as varchar) as source_channel,
        cast(region as varchar) as region,
        cast(product_line as varchar) as product_line,

        ---------- timestamps
        cast(created_at as timestamp) as created_at,
        cast(mql_at as timestamp) as mql_at,
        cast(sql_at as timestamp) as sql_at,
        cast(disqualified_at as timestamp) as disqualified_at,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
