{#- Split `total_cents` over the rows of `partition_by` in proportion to `weight`, exactly:
    every row gets the floor of its share, and the cents left over go one each to the rows with
    the largest remainders (ties in `tie_break` order). The parts are non-negative integers
    that sum to the total. `weight_total` is the sum of `weight` over the partition, computed
    beforehand (window functions cannot nest); all three must be integers of type_cents()
    (cents times cents overflows bigint). A partition whose weights are all zero must be given
    equal weights by the caller. -#}
{% macro allocate_cents(total_cents, weight, weight_total, partition_by, tie_break) -%}
    (
        {{ integer_divide(total_cents ~ ' * ' ~ weight, weight_total) }}
        + case
            when row_number() over (
                partition by {{ partition_by }}
                order by ({{ total_cents }} * {{ weight }}) % {{ weight_total }} desc, {{ tie_break }}
            )
            <= {{ total_cents }} - sum(
                {{ integer_divide(total_cents ~ ' * ' ~ weight, weight_total) }}
            ) over (partition by {{ partition_by }})
                then 1
            else 0
        end
    )
{%- endmacro %}

{#- `amount / count` in the reporting currency, rounded half up to the fen exactly: in integer
    fen, not in a double that may land a hair below a half fen (188697.325 is 188697.3249...
    as a double, and engines round that differently). NULL when `count` is 0; `amount` must be
    non-negative. -#}
{% macro divide_to_the_fen(amount, count) -%}
    cast(
        cast(
            {{ integer_divide(
                'cast(round(' ~ amount ~ ' * 100) as ' ~ type_cents() ~ ') * 2 + ' ~ count,
                '2 * nullif(' ~ count ~ ', 0)'
            ) }} as decimal(18, 0)
        ) * 0.01 as decimal(18, 2)
    )
{%- endmacro %}
