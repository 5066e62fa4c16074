with

source as (
    select * from {{ source('erp', 'order_lines') }}
),

latest as (
    {{ keep_latest_extract('source', ['order_id', 'line_no']) }}
),

final as (
    select
        ---------- ids
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(line_no as bigint) as line_no,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(product_sku as {{ dbt.type_string() }}) as product_sku,
        cast(partner_id as {{ dbt.type_string() }}) as partner_id,

        ---------- categories
        cast(region as {{ dbt.type_string() }}) as region,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(currency as {{ dbt.type_string() }}) as currency,

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
