with

source as (
    select * from {{ source('crm', 'partners') }}
),

latest as (
    select * from source
    {{ keep_latest_extract(['partner_id']) }}
),

final as (
    select
        ---------- ids
        cast(partner_id as varchar) as partner_id,

        ---------- names and categories
        cast(name as varchar) as partner_name,
        cast(region as varchar) as region,
        cast(tier as varchar) as tier,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
