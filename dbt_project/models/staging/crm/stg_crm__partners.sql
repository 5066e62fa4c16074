with

source as (
    select * from {{ source('crm', 'partners') }}
),

latest as (
    {{ keep_latest_extract('source', ['partner_id']) }}
),

final as (
    select
        ---------- ids
        cast(partner_id as {{ dbt.type_string() }}) as partner_id,

        ---------- names and categories
        cast(name as {{ dbt.type_string() }}) as partner_name,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(tier as {{ dbt.type_string() }}) as tier,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
