{#- The as-of month M of this build (var as_of_month, YYYY-MM-01) as a SQL date literal.
    Months < M are closed: their extracts have landed and their facts are final. -#}
{% macro as_of_month() -%}
    date '{{ as_of_month_value() }}'
{%- endmacro %}

{#- The first day of the month `months` after (or before, when negative) the as-of month, as a
    date literal: the month arithmetic happens here, at compile time, so every engine reads
    the same constant. -#}
{% macro as_of_month_plus(months) -%}
    {%- set year, month = as_of_month_value().split('-')[:2] | map('int') -%}
    {%- set index = year * 12 + month - 1 + (months | int) -%}
    date '{{ '%04d-%02d-01' | format(index // 12, index % 12 + 1) }}'
{%- endmacro %}

{#- The as-of month, checked: YYYY-MM-01. From var as_of_month, else from the environment
    variable SALESPLAN_AS_OF_MONTH. The Dagster asset uses the environment, and it is read only
    when executing: dbt re-parses the whole project whenever a var changes, and every file that
    read an environment variable while parsing when that one changes. The month changes with
    every build, yet no ref, source or config depends on it, so read at compile time only it
    leaves dbt's parse of the project untouched. -#}
{% macro as_of_month_value() -%}
    {%- set from_environment = env_var('SALESPLAN_AS_OF_MONTH', '') if execute else '' -%}
    {%- set value = var('as_of_month') or from_environment or none -%}
    {%- if execute and (value is none or not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])-01$', value | string)) -%}
        {{ exceptions.raise_compiler_error(
            "the as-of month must be the first day of the month being planned, YYYY-MM-01, "
            ~ "in var as_of_month (for example --vars '{as_of_month: 2026-11-01}') or in the "
            ~ "environment variable SALESPLAN_AS_OF_MONTH; got " ~ (value | string)
        ) }}
    {%- endif -%}
    {{- return(value | string if value is not none else '1970-01-01') -}}
{%- endmacro %}

{#- Keep, per key, the latest version of a raw record extracted before the as-of month:
    `select * from ({{ keep_latest_extract('source', ['lead_id']) }})`. A record appears in
    every extract month in which it was created or changed; ties within one extract month (the
    same key in two files or twice in one file) go to the last file, then the last row, so the
    choice is deterministic. The result has the relation's columns plus `_version_rank` (1). -#}
{% macro keep_latest_extract(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _extract_month desc, _source_file desc, _source_row desc
            ) as _version_rank
        from {{ relation }}
        where _extract_month < {{ as_of_month() }}
    ) as versions
    where _version_rank = 1
{%- endmacro %}
