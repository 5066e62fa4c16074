with

source as (
    select * from {{ source('erp', 'payments') }}
),

latest as (
    {{ keep_latest_extract('source', ['payment_id']) }}
),

final as (
    select
        ---------- ids
        cast(payment_id as {{ dbt.type_string() }}) as payment_id,
        cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,

        ---------- categories
        cast(currency as {{ dbt.type_string() }}) as currency,

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
