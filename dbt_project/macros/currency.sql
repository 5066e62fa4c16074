{#- An amount in the reporting currency (var reporting_currency), rounded to the fen per row
    so that sums of converted rows equal the converted rows summed. `rate` is the rate of the
    row's currency in the row's month (int_fx_rates_filled); the reporting currency needs none. -#}
{% macro to_reporting_currency(amount, currency, rate) -%}
    cast(
        case
            when {{ currency }} = '{{ var("reporting_currency") }}' then {{ amount }}
            else round({{ amount }} * {{ rate }}, 2)
        end
        as decimal(18, 2)
    )
{%- endmacro %}
