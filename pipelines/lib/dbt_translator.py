"""How dbt resources become Dagster assets: keys, groups, one method per concern.

* A model's asset key is its name (``fct_bookings_monthly``), not ``<schema>/<name>``: other
  domains depend on marts by that key (docs/architecture.md, "Dagster asset keys").
* A source's key comes from ``meta.dagster.asset_key`` in its YAML: the ingestion asset that
  writes the raw table (``crm_opportunities_raw``), so dbt runs downstream of ingestion.
* A model's group is its top folder under ``models/``: ``staging``, ``intermediate``, ``marts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator


class SalesplanDbtTranslator(DagsterDbtTranslator):
    """The translator of ``dbt_project/``."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        """Return the model's name, or for a source the key its meta names.

        Raises:
            ValueError: for a source without ``meta.dagster.asset_key``, which would otherwise
                become a dangling asset nobody materializes.
        """
        if dbt_resource_props["resource_type"] == "source":
            if not _dagster_meta(dbt_resource_props).get("asset_key"):
                raise ValueError(
                    f"dbt source {dbt_resource_props['source_name']}.{dbt_resource_props['name']}"
                    " has no meta.dagster.asset_key; set it to the ingestion asset that writes"
                    " the table, e.g. crm_opportunities_raw"
                )
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """Return the model's top folder under ``models/`` (fqn: project, folder, ..., name)."""
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else None


def _dagster_meta(dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = dbt_resource_props.get("config", {}).get("meta") or dbt_resource_props.get("meta", {})
    return meta.get("dagster", {})
