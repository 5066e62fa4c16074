-- One row per sales region, with its display names and market potential.
with

regions as (
    select * from {{ ref('stg_planning__regions') }}
),

final as (
    select
        region,
        region_name_en as name_en,
        region_name_zh as name_zh,
        market_potential,
        {{ as_of_month() }} as as_of_month
    from regions
)

select * from final
