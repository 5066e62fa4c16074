-- One row per ERP order line before the as-of month, with its product line (from the SKU), its
-- net amount in the reporting currency (rate of the order month), and the deal type and rep of
-- the opportunity it was booked from.
--
-- An order without an opportunity (a few percent: web-shop and partner re-orders) has no rep;
-- its deal type is inferred: `new` when it is the account's first order, else `expansion`.
with

order_lines as (
    select * from {{ ref('stg_erp__order_lines') }}
),

products as (
    select * from {{ ref('stg_erp__products') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_filled') }}
),

ordered as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as order_month,
        -- The account's first order, and the first line of it: a new customer is counted
        -- once, on that line.
        first_value(order_id) over (
            partition by account_id order by order_date, order_id
        ) as first_order_id_of_account,
        row_number() over (
            partition by account_id order by order_date, order_id, line_no
        ) = 1 as is_first_line_of_account
    from order_lines
),

joined as (
    select
        ordered.*,
        products.product_line,
        opportunities.opportunity_id as found_opportunity_id,
        opportunities.deal_type as opportunity_deal_type,
        opportunities.rep_id as opportunity_rep_id,
        fx_rates.rate_to_reporting_currency
    from ordered
    left join products
        on ordered.product_sku = products.product_sku
    left join opportunities
        on ordered.opportunity_id = opportunities.opportunity_id
    left join fx_rates
        on
            ordered.currency = fx_rates.currency
            and ordered.order_month = fx_rates.rate_month
),

final as (
    select
        ---------- ids
        order_id,
        line_no,
        account_id,
        found_opportunity_id as opportunity_id,
        product_sku,

        ---------- segment
        region,
        product_line,
        channel,
        case
            when found_opportunity_id is not null then opportunity_deal_type
            when order_id = first_order_id_of_account then 'new'
            else 'expansion'
        end as deal_type,
        case when channel = 'partner' then partner_id end as partner_id,
        opportunity_rep_id as rep_id,
        found_opportunity_id is null as is_deal_type_inferred,

        ---------- dates
        order_date,
        order_month,

        ---------- amounts
        quantity,
        net_amount,
        currency,
        {{ to_reporting_currency(
            'net_amount', 'currency', 'rate_to_reporting_currency'
        ) }} as net_amount_reporting,

        ---------- new customers
        is_first_line_of_account
    from joined
)

select * from final
