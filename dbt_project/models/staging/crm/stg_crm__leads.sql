with

source as (
    select * from {{ source('crm', 'leads') }}
),

latest as (
    {{ keep_latest_extract('source', ['lead_id']) }}
),

final as (
    select
        ---------- ids
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(owner_rep_id as {{ dbt.type_string() }}) as owner_rep_id,
        cast(converted_opportunity_id as {{ dbt.type_string() }}) as converted_opportunity_id,

        ---------- categories
        cast(source_channel as {{ dbt.type_string() }}) as source_channel,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(product_line as {{ dbt.type_string() }}) as product_line,

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
