with

source as (
    select * from {{ source('erp', 'order_lines') }}
),

latest as (
    select * from source
    {{ keep_latest_extract(['order_id', 'line_no']) }}
),

final as (
    select
        ---------- ids
        cast(order_id as varchar) as order_id,
        cast(line_no as bigint) as line_no,
        cast(account_id as varchar) as account_id,
        cast(opportunity_id as varchar) as opportunity_id,
        cast(product_sku as varchar) as product_sku,
        cast(partner_id as varchar) as partner_id,

        ---------- categories
        cast(region as varchar) as region,
        cast(channel as varchar) as channel,
        cast(currency as varchar) as currency,

        ---------- numerics
        cast(quantity as bigint) as quantity,
        cast(net_amount as decimal(18, 2)) as net_amount,

        ---------- dates
        cast(order_date as date) as order_date,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
