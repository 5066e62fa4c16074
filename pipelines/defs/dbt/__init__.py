"""The dbt project (``dbt_project/``) as Dagster assets: one asset per model, tests as checks."""
