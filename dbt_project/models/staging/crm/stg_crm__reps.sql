with

source as (
    select * from {{ source('crm', 'reps') }}
),

latest as (
    {{ keep_latest_extract('source', ['rep_id']) }}
),

final as (
    select
        ---------- ids
        cast(rep_id as {{ dbt.type_string() }}) as rep_id,
        cast(manager_id as {{ dbt.type_string() }}) as manager_id,

        ---------- names and categories
        cast(name as {{ dbt.type_string() }}) as rep_name,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(team as {{ dbt.type_string() }}) as team,
        cast(tier as {{ dbt.type_string() }}) as tier,
        cast(role as {{ dbt.type_string() }}) as role,

        ---------- dates
        cast(hire_date as date) as hire_date,
        cast(end_date as date) as end_date,

        ---------- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row
    from latest
)

select * from final
