-- One row per channel partner in its latest state before the as-of month.
with

partners as (
    select * from {{ ref('stg_crm__partners') }}
),

final as (
    select
        partner_id,
        partner_name as name,
        region,
        tier,
        {{ as_of_month() }} as as_of_month
    from partners
)

select * from final
