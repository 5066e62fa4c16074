{#- The as-of month M of this build (var as_of_month, YYYY-MM-01) as a SQL date literal.
    Months < M are closed: their extracts have landed and their facts are final. -#}
{% macro as_of_month() -%}
    {%- set value = var('as_of_month') -%}
    {%- if execute and (value is none or not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])-01$', value | string)) -%}
        {{ exceptions.raise_compiler_error(
            "var as_of_month must be the first day of the month being planned, YYYY-MM-01 "
            ~ "(for example --vars '{as_of_month: 2026-11-01}'); got " ~ (value | string)
        ) }}
    {%- endif -%}
    date '{{ value if value is not none else "1970-01-01" }}'
{%- endmacro %}

{#- The first day of the month `months` after (or before, when negative) the as-of month. -#}
{% macro as_of_month_plus(months) -%}
    cast({{ as_of_month() }} + to_months({{ months }}) as date)
{%- endmacro %}

{#- Keep, per key, the latest version of a raw record extracted before the as-of month.
    A record appears in every extract month in which it was created or changed; ties within
    one extract month (the same key in two files or twice in one file) go to the last file,
    then the last row, so the choice is deterministic. -#}
{% macro keep_latest_extract(key_columns) -%}
    where _extract_month < {{ as_of_month() }}
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by _extract_month desc, _source_file desc, _source_row desc
    ) = 1
{%- endmacro %}
