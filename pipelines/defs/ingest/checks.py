"""The checks that guard every ingestion asset, evaluated while the asset loads.

Each ingestion asset validates its rows with its entity's GX suite and the warehouse checks
(``expectations``) before writing, so the checks are declared on the asset (``check_specs``)
and their results are returned with the materialization, or, when the load refuses to write,
yielded just before the step fails:

* ``blocking_rules`` (blocking): every blocking rule passed; otherwise nothing was written
  and nothing downstream runs.
* ``warning_rules`` (WARN): no row was quarantined; otherwise the count and the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from pipelines.lib import gx

if TYPE_CHECKING:
    from ingestion.errors import IngestionError
    from ingestion.load import EntityLoad


def ingest_check_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    """The check specs of one ingestion asset."""
    return gx.check_specs(asset_key)


def loaded_check_results(asset_key: dg.AssetKey, load: EntityLoad) -> list[dg.AssetCheckResult]:
    """Check results of a load that wrote its rows."""
    return gx.check_results(asset_key, load.outcomes)


def refused_check_results(
    asset_key: dg.AssetKey, error: IngestionError
) -> list[dg.AssetCheckResult]:
    """Check results of a load that refused to write (the blocking check fails)."""
    return gx.check_results(asset_key, getattr(error, "outcomes", []), refusal=str(error))
