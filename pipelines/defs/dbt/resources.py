"""The dbt CLI resource of the code location."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.defs.dbt.project import salesplan_dbt_project

dbt_resource = DbtCliResource(project_dir=salesplan_dbt_project())


@dg.definitions
def defs() -> dg.Definitions:
    """Register the dbt resource."""
    return dg.Definitions(resources={"dbt": dbt_resource})
