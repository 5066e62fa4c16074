with

source as (
    select * from {{ source('crm', 'reps') }}
),

latest as (
    select * from source
    {{ keep_latest_extract(['rep_id']) }}
),

final as (
    select
        ---------- ids
        cast(rep_id as varchar) as rep_id,
        cast(manager_id as varchar) as manager_id,

        ---------- names and categories
        cast(name as varchar) as rep_name,
        cast(region as varchar) as region,
        cast(team as varchar) as team,
        cast(tier as varchar) as tier,
        cast(role as varchar) as role,

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
