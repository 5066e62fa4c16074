with

source as (
    select * from {{ source('planning', 'regions') }}
),

latest as (
    {{ keep_latest_extract('source', ['region']) }}
),

final as (
    select
        ---------- ids
        cast(region as {{ dbt.type_string() }}) as region,

        ---------- names
        cast(name_en as {{ dbt.type_string() }}) as region_name_en,
        cast(name_zh as {{ dbt.type_string() }}) as region_name_zh,

        ---------- numerics
        cast(market_potential as decimal(18, 2)) as market_potential,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
