-- One row per foreign currency and month, from the currency's first published rate to the
-- month before the as-of month. A month without a published rate carries the latest earlier
-- rate forward (is_carried_forward), so every transaction month after a currency's first rate
-- has exactly one rate. The reporting currency needs no row (to_reporting_currency).
with

fx_rates as (
    select * from {{ ref('stg_erp__fx_rates') }}
),

currency_first_months as (
    select
        currency,
        min(rate_month) as first_rate_month
    from fx_rates
    group by currency
),

month_spine as (
    select
        currency,
        {{ date_series('first_rate_month', as_of_month_plus(-1), 'month') }} as rate_month
    from currency_first_months
),

spine_with_rates as (
    select
        month_spine.currency,
        cast(month_spine.rate_month as date) as rate_month,
        fx_rates.rate_to_reporting_currency as published_rate,
        case
            when fx_rates.rate_to_reporting_currency is not null then fx_rates.rate_month
        end as published_rate_month
    from month_spine
    left join fx_rates
        on
            month_spine.currency = fx_rates.currency
            and cast(month_spine.rate_month as date) = fx_rates.rate_month
),

carried_forward as (
    select
        currency,
        rate_month,
        {{ last_value_ignore_nulls('published_rate') }} over (
            partition by currency order by rate_month
            rows between unbounded preceding and current row
        ) as rate_to_reporting_currency,
        {{ last_value_ignore_nulls('published_rate_month') }} over (
            partition by currency order by rate_month
            rows between unbounded preceding and current row
        ) as source_rate_month
    from spine_with_rates
),

final as (
    select
        currency,
        rate_month,
        rate_to_reporting_currency,
        source_rate_month,
        rate_month <> source_rate_month as is_carried_forward
    from carried_forward
)

select * from final
