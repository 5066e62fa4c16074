{#- Split `total_cents` over the rows of `partition_by` in proportion to `weight`, exactly:
    every row gets the floor of its share, and the cents left over go one each to the rows with
    the largest remainders (ties in `tie_break` order). The parts are non-negative integers
    that sum to the total. `weight_total` is the sum of `weight` over the partition, computed
    beforehand (window functions cannot nest); all three must be integers (use hugeint: cents
    times cents overflows bigint). A partition whose weights are all zero must be given equal
    weights by the caller. -#}
{% macro allocate_cents(total_cents, weight, weight_total, partition_by, tie_break) -%}
    (
        ({{ total_cents }} * {{ weight }}) // {{ weight_total }}
        + case
            when row_number() over (
                partition by {{ partition_by }}
                order by ({{ total_cents }} * {{ weight }}) % {{ weight_total }} desc, {{ tie_break }}
            )
            <= {{ total_cents }} - sum(
                ({{ total_cents }} * {{ weight }}) // {{ weight_total }}
            ) over (partition by {{ partition_by }})
                then 1
            else 0
        end
    )
{%- endmacro %}
