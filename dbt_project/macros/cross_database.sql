{#- SQL the project needs that DuckDB and Spark spell differently, one macro per construct
    with a duckdb__ and a spark__ implementation (adapter.dispatch). Everything else in the
    models is SQL both engines read the same way, or dbt's own cross-database macros
    (dbt.type_string, dbt.dateadd, dbt.datediff). The DuckDB spellings are the ones the
    models used before they were made portable, so the DuckDB build runs the same SQL. -#}

{#- An exact integer type wide enough for cents times cents (allocate_cents multiplies an
    amount in fen by a weight in fen: 1e12 x 1e12 overflows bigint). -#}
{% macro type_cents() -%}
    {{ return(adapter.dispatch('type_cents', 'salesplan')()) }}
{%- endmacro %}

{% macro default__type_cents() -%}
    decimal(38, 0)
{%- endmacro %}

{% macro duckdb__type_cents() -%}
    hugeint
{%- endmacro %}

{#- Integer division of two integers (of type_cents or narrower), truncated. DuckDB's `/` is
    float division and `//` on decimals is too, hence hugeint there; Spark's `div` returns a
    bigint, wide enough for every quotient here (a quotient never exceeds its total). -#}
{% macro integer_divide(dividend, divisor) -%}
    {{ return(adapter.dispatch('integer_divide', 'salesplan')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__integer_divide(dividend, divisor) -%}
    floor(({{ dividend }}) / ({{ divisor }}))
{%- endmacro %}

{% macro duckdb__integer_divide(dividend, divisor) -%}
    ({{ dividend }}) // ({{ divisor }})
{%- endmacro %}

{% macro spark__integer_divide(dividend, divisor) -%}
    ({{ dividend }}) div ({{ divisor }})
{%- endmacro %}

{#- One row per month (datepart 'month') or day ('day') from first to last, both included, as
    a set-returning select-list expression: `select key, {{ date_series(...) }} as d from t`
    gives every key one row per date. The values are dates. -#}
{% macro date_series(first, last, datepart) -%}
    {{ return(adapter.dispatch('date_series', 'salesplan')(first, last, datepart)) }}
{%- endmacro %}

{% macro duckdb__date_series(first, last, datepart) -%}
    cast(unnest(generate_series({{ first }}, {{ last }}, interval 1 {{ datepart }})) as date)
{%- endmacro %}

{% macro spark__date_series(first, last, datepart) -%}
    explode(sequence({{ first }}, {{ last }}, interval 1 {{ datepart }}))
{%- endmacro %}

{#- The window function last_value that skips NULLs (use with an explicit frame). -#}
{% macro last_value_ignore_nulls(expression) -%}
    {{ return(adapter.dispatch('last_value_ignore_nulls', 'salesplan')(expression)) }}
{%- endmacro %}

{% macro duckdb__last_value_ignore_nulls(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}

{% macro spark__last_value_ignore_nulls(expression) -%}
    last_value({{ expression }}, true)
{%- endmacro %}

{#- The continuous (linearly interpolated) quantile of an aggregate group: both engines give
    the same value, e.g. 1.75 for the 0.25 quantile of 1, 2, 3, 4. -#}
{% macro quantile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('quantile_cont', 'salesplan')(expression, fraction)) }}
{%- endmacro %}

{% macro default__quantile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__quantile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__quantile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{#- ISO 8601 day of the week (Monday 1 .. Sunday 7) and the ISO year the date's week belongs
    to (31 December 2024 is in week 1 of ISO year 2025). -#}
{% macro iso_day_of_week(date) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'salesplan')(date)) }}
{%- endmacro %}

{% macro duckdb__iso_day_of_week(date) -%}
    isodow({{ date }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date) -%}
    extract(dayofweek_iso from {{ date }})
{%- endmacro %}

{% macro iso_year(date) -%}
    {{ return(adapter.dispatch('iso_year', 'salesplan')(date)) }}
{%- endmacro %}

{% macro duckdb__iso_year(date) -%}
    isoyear({{ date }})
{%- endmacro %}

{% macro spark__iso_year(date) -%}
    extract(yearofweek from {{ date }})
{%- endmacro %}
