-- One row per day, from 1 January of the first year with any lead, opportunity or order to
-- 31 December three years after the as-of month's year (far enough for every fiscal year a
-- plan or a 12-month forecast can reach), with the calendar, ISO-week and fiscal attributes.
-- Fiscal years start in var fiscal_year_start_month and are named by the calendar year they
-- end in (start month 4: April 2025 - March 2026 is fiscal 2026).
with

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

order_lines as (
    select * from {{ ref('stg_erp__order_lines') }}
),

first_dates as (
    select cast(min(created_at) as date) as first_date from leads
    union all
    select cast(min(created_at) as date) as first_date from opportunities
    union all
    select min(order_date) as first_date from order_lines
),

bounds as (
    select
        cast(
            {{ dbt.date_trunc(
                'year', 'coalesce(min(first_date), ' ~ as_of_month_plus(-12) ~ ')'
            ) }} as date
        ) as first_day,
        date '{{ as_of_month_value()[:4] | int + 3 }}-12-31' as last_day
    from first_dates
),

days as (
    select {{ date_series('first_day', 'last_day', 'day') }} as date_day
    from bounds
),

attributes as (
    select
        date_day,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month,
        year(date_day) as year,
        quarter(date_day) as quarter,
        month(date_day) as month_of_year,
        day(date_day) as day_of_month,
        {{ iso_day_of_week('date_day') }} as day_of_week,
        {{ iso_day_of_week('date_day') }} >= 6 as is_weekend,
        {{ iso_year('date_day') }} as iso_year,
        weekofyear(date_day) as iso_week,
        cast(
            {{ dbt.dateadd('day', '1 - ' ~ iso_day_of_week('date_day'), 'date_day') }} as date
        ) as week_start,
        -- A fiscal year that starts after January is named by the calendar year it ends in.
        year(date_day) + case
            when
                {{ var('fiscal_year_start_month') }} > 1
                and month(date_day) >= {{ var('fiscal_year_start_month') }}
                then 1
            else 0
        end as fiscal_year,
        (month(date_day) - {{ var('fiscal_year_start_month') }} + 12) % 12 + 1 as fiscal_month
    from days
),

fiscal_quarters as (
    select
        *,
        {{ integer_divide('fiscal_month - 1', 3) }} + 1 as fiscal_quarter
    from attributes
),

final as (
    select
        date_day,
        month,
        cast(year as integer) as year,
        cast(quarter as integer) as quarter,
        cast(month_of_year as integer) as month_of_year,
        cast(day_of_month as integer) as day_of_month,
        cast(day_of_week as integer) as day_of_week,
        is_weekend,
        cast(iso_year as integer) as iso_year,
        cast(iso_week as integer) as iso_week,
        printf('%04d-W%02d', iso_year, iso_week) as iso_week_label,
        week_start,
        cast(fiscal_year as integer) as fiscal_year,
        cast(fiscal_quarter as integer) as fiscal_quarter,
        cast(fiscal_month as integer) as fiscal_month,
        printf('%d-Q%d', fiscal_year, fiscal_quarter) as fiscal_quarter_label,
        month < {{ as_of_month() }} as is_closed_month,
        month = {{ as_of_month() }} as is_as_of_month,
        {{ as_of_month() }} as as_of_month
    from fiscal_quarters
)

select * from final
