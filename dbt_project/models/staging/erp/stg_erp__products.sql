with

source as (
    select * from {{ source('erp', 'products') }}
),

latest as (
    select * from source
    {{ keep_latest_extract(['product_sku']) }}
),

final as (
    select
        ---------- ids
        cast(product_sku as varchar) as product_sku,

        ---------- categories
        cast(product_line as varchar) as product_line,
        cast(lifecycle_stage as varchar) as lifecycle_stage,

        ---------- numerics
        cast(list_price as decimal(18, 2)) as list_price,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
