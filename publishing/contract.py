"""The BI contract: which tables are published, their grain, and where their rows come from.

Every published row carries ``as_of_month`` (the plan version). Facts are rebuilt by dbt for
the current as-of month only, so publication stamps them with the month; forecasts and plan
tables keep every version in the warehouse already. Plan tables carry ``scenario`` as well
(``official`` unless a what-if config was run) and are published one file per scenario.
"""

from __future__ import annotations

from publishing.publish import PublishedTable

PUBLISHED_TABLES: tuple[PublishedTable, ...] = (
    # Dimensions, as of the month: names, tiers and tenure for BI joins and the workbooks.
    PublishedTable("dim_rep", "marts.dim_rep", versioned_source=False),
    PublishedTable("dim_partner", "marts.dim_partner", versioned_source=False),
    PublishedTable("dim_region", "marts.dim_region", versioned_source=False),
    PublishedTable("dim_product", "marts.dim_product", versioned_source=False),
    # Facts (actuals) as dbt built them for the month.
    PublishedTable("fct_funnel_monthly", "marts.fct_funnel_monthly", versioned_source=False),
    PublishedTable("fct_bookings_monthly", "marts.fct_bookings_monthly", versioned_source=False),
    PublishedTable(
        "fct_collections_monthly", "marts.fct_collections_monthly", versioned_source=False
    ),
    PublishedTable("forecast_monthly", "forecasts.forecast_monthly", versioned_source=True),
    PublishedTable("forecast_accuracy", "forecasts.forecast_accuracy", versioned_source=True),
    PublishedTable("target_plan", "plan.target_plan", versioned_source=True, by_scenario=True),
    PublishedTable(
        "funnel_requirements", "plan.funnel_requirements", versioned_source=True, by_scenario=True
    ),
    PublishedTable("rep_targets", "plan.rep_targets", versioned_source=True, by_scenario=True),
    PublishedTable(
        "partner_targets", "plan.partner_targets", versioned_source=True, by_scenario=True
    ),
    PublishedTable(
        "attainment_alerts", "plan.attainment_alerts", versioned_source=True, by_scenario=True
    ),
    PublishedTable("plan_changes", "plan.plan_changes", versioned_source=True, by_scenario=True),
)
