with

source as (
    select * from {{ source('erp', 'fx_rates') }}
),

latest as (
    select * from source
    {{ keep_latest_extract(['currency', 'month']) }}
),

final as (
    select
        ---------- ids
        cast(currency as varchar) as currency,

        ---------- dates
        cast(date_trunc('month', month) as date) as rate_month,

        ---------- numerics
        cast(rate_to_reporting_currency as decimal(18, 6)) as rate_to_reporting_currency,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
