-- One row per month and region (level 'region'), and per month for the whole company (level
-- 'company', region NULL), from the first invoice to the month before the as-of month:
-- invoiced and collected amounts, receivables open at month end and days sales outstanding.
--
-- DSO = receivables at month end / amount invoiced in the three months ending with this one x
-- the days in those three months (the "three-month average" method: it does not swing with one
-- big invoice the way a one-month DSO does). NULL when nothing was invoiced in those months
-- and in the first two months of a region.
with

invoices as (
    select * from {{ ref('int_invoices_allocated') }}
),

payments as (
    select * from {{ ref('int_payments_allocated') }}
),

movements as (
    select
        invoice_month as month,
        region,
        invoiced_amount,
        cast(0 as decimal(18, 2)) as collected_amount
    from invoices

    union all

    select
        paid_month as month,
        region,
        cast(0 as decimal(18, 2)) as invoiced_amount,
        collected_amount
    from payments
),

per_region_month as (
    select
        month,
        region,
        sum(invoiced_amount) as invoiced_amount,
        sum(collected_amount) as collected_amount
    from movements
    group by month, region
),

per_level_month as (
    select
        'region' as level,
        month,
        region,
        invoiced_amount,
        collected_amount
    from per_region_month

    union all

    select
        'company' as level,
        month,
        null as region,
        sum(invoiced_amount) as invoiced_amount,
        sum(collected_amount) as collected_amount
    from per_region_month
    group by month
),

level_first_months as (
    select
        level,
        region,
        min(month) as first_month
    from per_level_month
    group by level, region
),

month_spine as (
    select
        level,
        region,
        {{ date_series('first_month', as_of_month_plus(-1), 'month') }} as month
    from level_first_months
),

dense as (
    select
        month_spine.level,
        month_spine.month,
        month_spine.region,
        coalesce(per_level_month.invoiced_amount, 0) as invoiced_amount,
        coalesce(per_level_month.collected_amount, 0) as collected_amount
    from month_spine
    left join per_level_month
        on
            month_spine.level = per_level_month.level
            and month_spine.month = per_level_month.month
            and month_spine.region is not distinct from per_level_month.region
),

running as (
    select
        *,
        sum(invoiced_amount - collected_amount) over (
            partition by level, region order by month
            rows between unbounded preceding and current row
        ) as receivables_amount,
        sum(invoiced_amount) over (
            partition by level, region order by month
            rows between 2 preceding and current row
        ) as invoiced_last_3_months,
        row_number() over (partition by level, region order by month) as month_number,
        {{ dbt.datediff(
            dbt.dateadd('month', -2, 'month'), dbt.dateadd('month', 1, 'month'), 'day'
        ) }} as days_in_last_3_months
    from dense
),

final as (
    select
        level,
        month,
        region,
        cast(invoiced_amount as decimal(18, 2)) as invoiced_amount,
        cast(collected_amount as decimal(18, 2)) as collected_amount,
        cast(receivables_amount as decimal(18, 2)) as receivables_amount,
        -- The first two months have less than three months of invoices behind them.
        case
            when month_number >= 3
                then
                    cast(receivables_amount as double)
                    / nullif(cast(invoiced_last_3_months as double), 0)
                    * days_in_last_3_months
        end as dso_days,
        {{ as_of_month() }} as as_of_month
    from running
)

select * from final
