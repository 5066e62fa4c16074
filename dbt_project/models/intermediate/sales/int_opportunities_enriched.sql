-- One row per opportunity in its latest state before the as-of month, with its segment keys
-- and its amount in the reporting currency (converted at the rate of the close month; for an
-- open opportunity whose expected close lies ahead, at the latest closed month's rate).
with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_filled') }}
),

dated as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as created_month,
        cast({{ dbt.date_trunc('month', 'close_date') }} as date) as close_month,
        least(
            cast({{ dbt.date_trunc('month', 'close_date') }} as date), {{ as_of_month_plus(-1) }}
        ) as fx_month
    from opportunities
),

converted as (
    select
        dated.*,
        {{ to_reporting_currency(
            'dated.amount', 'dated.currency', 'fx_rates.rate_to_reporting_currency'
        ) }} as amount_reporting
    from dated
    left join fx_rates
        on
            dated.currency = fx_rates.currency
            and dated.fx_month = fx_rates.rate_month
),

final as (
    select
        ---------- ids
        opportunity_id,
        account_id,

        ---------- segment
        region,
        product_line,
        channel,
        deal_type,
        owner_rep_id as rep_id,
        -- The grain keeps partner_id for the partner channel only.
        case when channel = 'partner' then partner_id end as partner_id,

        ---------- state
        stage,
        is_won,
        is_closed,
        is_closed and not is_won as is_lost,

        ---------- dates
        created_at,
        created_month,
        close_date,
        case when is_closed then close_month end as close_month,
        case
            when is_closed then {{ dbt.datediff('cast(created_at as date)', 'close_date', 'day') }}
        end as cycle_days,

        ---------- amounts
        amount,
        currency,
        amount_reporting
    from converted
)

select * from final
