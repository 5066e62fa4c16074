"""Generic Dagster glue shared by the domains (dbt translator, GX adapter)."""
