with

source as (
    select * from {{ source('erp', 'payments') }}
),

latest as (
    select * from source
    {{ keep_latest_extract(['payment_id']) }}
),

final as (
    select
        ---------- ids
        cast(payment_id as varchar) as payment_id,
        cast(invoice_id as varchar) as invoice_id,

        ---------- categories
        cast(currency as varchar) as currency,

        ---------- numerics
        cast(amount as decimal(18, 2)) as amount,

        ---------- dates
        cast(paid_at as date) as paid_at,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
