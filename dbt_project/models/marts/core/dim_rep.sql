-- One row per rep (and manager) known before the as-of month, in their latest state, with
-- tenure and activity measured at the as-of month.
with

reps as (
    select * from {{ ref('stg_crm__reps') }}
),

measured as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'hire_date') }} as date) as hire_month,
        -- Tenure counts up to the as-of month, or to the leaving month for leavers; employment
        -- counts every closed month with at least one day employed.
        least(
            {{ as_of_month() }},
            coalesce(cast({{ dbt.date_trunc('month', 'end_date') }} as date), {{ as_of_month() }})
        ) as tenure_end_month,
        least(
            {{ as_of_month() }},
            coalesce(
                cast({{ dbt.dateadd('month', 1, dbt.date_trunc('month', 'end_date')) }} as date),
                {{ as_of_month() }}
            )
        ) as employed_end_month
    from reps
),

final as (
    select
        rep_id,
        rep_name as name,
        region,
        team,
        manager_id,
        tier,
        role,
        hire_date,
        end_date,
        -- Months from the hire month to the as-of month (to the leaving month for leavers):
        -- a rep hired on any day of January is in tenure month 2 in March's plan.
        cast(
            greatest({{ dbt.datediff('hire_month', 'tenure_end_month', 'month') }}, 0) as integer
        ) as tenure_months,
        coalesce(
            hire_date < {{ as_of_month() }}
            and (end_date is null or end_date >= {{ as_of_month() }}),
            false
        ) as is_active,
        -- Closed months (before the as-of month) with at least one day employed.
        cast(
            greatest({{ dbt.datediff('hire_month', 'employed_end_month', 'month') }}, 0) as integer
        ) as active_months,
        {{ as_of_month() }} as as_of_month
    from measured
)

select * from final
