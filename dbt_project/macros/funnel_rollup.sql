{#- The rollup levels of the rate marts, coarsest first, and the key each level adds. Every
    level's parent is the level before it: the segment that planning shrinks a sparse level's
    rates toward. `depth` limits the levels to the first `depth` keys (5 = down to the rep). -#}
{% macro rollup_keys() -%}
    {{ return(['region', 'product_line', 'channel', 'deal_type', 'rep_id']) }}
{%- endmacro %}

{% macro rollup_level_names() -%}
    {{ return([
        'company', 'region', 'region_product_line', 'region_product_line_channel', 'segment', 'rep'
    ]) }}
{%- endmacro %}

{#- group by rollup (k1, ..., kn) is the grouping sets (k1..kn), (k1..kn-1), ..., (): one
    set per level, from the finest to the company total. -#}
{% macro rollup_grouping_sets(depth=5) -%}
    rollup ({{ rollup_keys()[:depth] | join(', ') }})
{%- endmacro %}

{#- The level name of a grouping-sets row. grouping() sets one bit per rolled-up key, the
    first key being the most significant: a row that keeps the first `size` keys has the low
    `depth - size` bits set. -#}
{% macro rollup_level(depth=5) -%}
    {%- set keys = rollup_keys()[:depth] -%}
    case grouping({{ keys | join(', ') }})
        {%- for size in range(depth + 1) %}
        when {{ 2 ** (depth - size) - 1 }} then '{{ rollup_level_names()[size] }}'
        {%- endfor %}
    end
{%- endmacro %}

{#- True for a grouping-sets row that kept a key whose value is NULL, e.g. activities linked
    to neither a lead nor an opportunity (no product line) at the region_product_line level:
    such a row would read as "all product lines" and must be dropped. -#}
{% macro rollup_has_null_key(depth=5) -%}
    (
        {%- for key in rollup_keys()[:depth] %}
        (grouping({{ key }}) = 0 and {{ key }} is null){{ ' or' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
