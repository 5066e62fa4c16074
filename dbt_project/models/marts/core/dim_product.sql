-- One row per SKU in its latest state before the as-of month: product line, lifecycle stage
-- and list price.
with

products as (
    select * from {{ ref('stg_erp__products') }}
),

final as (
    select
        product_sku,
        product_line,
        lifecycle_stage,
        list_price,
        {{ as_of_month() }} as as_of_month
    from products
)

select * from final
