with

source as (
    select * from {{ source('erp', 'invoices') }}
),

latest as (
    {{ keep_latest_extract('source', ['invoice_id']) }}
),

final as (
    select
        ---------- ids
        cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,

        ---------- categories
        cast(currency as {{ dbt.type_string() }}) as currency,

        ---------- numerics
        cast(amount as decimal(18, 2)) as amount,

        ---------- dates
        cast(invoice_date as date) as invoice_date,
        cast(due_date as date) as due_date,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
