{#- The rollup of the rate marts (fct_funnel_rates, fct_collection_delays): the levels of the
    planning hierarchy, coarsest first, each adding one key,

        company -> region -> region_product_line -> segment (+ channel) -> rep (+ rep_id)

    crossed with deal_type as an independent dimension (NULL = all deal types), so planning
    finds rates for a deal-type stream (new_bookings) and for all deal types (bookings) at every
    level. A level's parent is the level before it with the same deal_type: the segment that
    planning shrinks a sparse level's rates toward. `depth` stops the levels early
    (4 = down to segment). -#}
{% macro rollup_keys() -%}
    {{ return(['region', 'product_line', 'channel', 'rep_id']) }}
{%- endmacro %}

{% macro rollup_level_names() -%}
    {{ return(['company', 'region', 'region_product_line', 'segment', 'rep']) }}
{%- endmacro %}

{#- rollup (k1, ..., kn) is the grouping sets (k1..kn), (k1..kn-1), ..., (); crossing it with
    cube (deal_type) doubles each set, with and without deal_type. -#}
{% macro rollup_group_by(depth=5) -%}
    rollup ({{ rollup_keys()[:depth - 1] | join(', ') }}), cube (deal_type)
{%- endmacro %}

{#- The level name of a grouping-sets row, from a bit mask with one bit per rolled-up key (set
    when the key is rolled up), the first key being the most significant: a row that keeps the
    first `size` of `n` keys has the low `n - size` bits set. The mask is summed from one-key
    grouping() calls because Spark's grouping_id() must name every grouping column, deal_type
    included, while DuckDB's grouping() of several keys is not Spark SQL. -#}
{% macro rollup_level(depth=5) -%}
    {%- set keys = rollup_keys()[:depth - 1] -%}
    case (
        {%- for key in keys %}
        {{ '+ ' if not loop.first }}grouping({{ key }}) * {{ 2 ** (keys | length - loop.index) }}
        {%- endfor %}
    )
        {%- for size in range(depth) %}
        when {{ 2 ** (depth - 1 - size) - 1 }} then '{{ rollup_level_names()[size] }}'
        {%- endfor %}
    end
{%- endmacro %}

{#- True for a grouping-sets row that kept a key whose value is NULL, e.g. activities linked
    to neither a lead nor an opportunity (no product line) at the region_product_line level:
    such a row would read as "all product lines" and must be dropped. -#}
{% macro rollup_has_null_key(depth=5) -%}
    (
        {%- for key in rollup_keys()[:depth - 1] + ['deal_type'] %}
        (grouping({{ key }}) = 0 and {{ key }} is null){{ ' or' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
