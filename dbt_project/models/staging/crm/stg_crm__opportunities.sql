with

source as (
    select * from {{ source('crm', 'opportunities') }}
),

latest as (
    {{ keep_latest_extract('source', ['opportunity_id']) }}
),

final as (
    select
        ---------- ids
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(owner_rep_id as {{ dbt.type_string() }}) as owner_rep_id,
        cast(partner_id as {{ dbt.type_string() }}) as partner_id,

        ---------- categories
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(product_line as {{ dbt.type_string() }}) as product_line,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(deal_type as {{ dbt.type_string() }}) as deal_type,
        cast(currency as {{ dbt.type_string() }}) as currency,

        ---------- numerics
        cast(amount as decimal(18, 2)) as amount,

        ---------- booleans
        cast(is_won as boolean) as is_won,
        cast(is_closed as boolean) as is_closed,

        ---------- dates and timestamps
        cast(created_at as timestamp) as created_at,
        cast(close_date as date) as close_date,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
