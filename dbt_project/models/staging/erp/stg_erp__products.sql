with

source as (
    select * from {{ source('erp', 'products') }}
),

latest as (
    {{ keep_latest_extract('source', ['product_sku']) }}
),

final as (
    select
        ---------- ids
        cast(product_sku as {{ dbt.type_string() }}) as product_sku,

        ---------- categories
        cast(product_line as {{ dbt.type_string() }}) as product_line,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,

        ---------- numerics
        cast(list_price as decimal(18, 2)) as list_price,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
