with

source as (
    select * from {{ source('erp', 'fx_rates') }}
),

latest as (
    {{ keep_latest_extract('source', ['currency', 'month']) }}
),

final as (
    select
        ---------- ids
        cast(currency as {{ dbt.type_string() }}) as currency,

        ---------- dates
        cast({{ dbt.date_trunc('month', 'month') }} as date) as rate_month,

        ---------- numerics
        cast(rate_to_reporting_currency as decimal(18, 6)) as rate_to_reporting_currency,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
