"""The Dagster ingestion assets on a temporary home: metadata, checks, gating, backfills."""

from __future__ import annotations

import dagster as dg
import duckdb
import pandas as pd
import pytest
from tiny_landing import DELTA_MONTH, FIRST_MONTH

from pipelines.defs.ingest.assets import INGEST_ASSETS, extract_months_of, ingest_asset_key
from pipelines.defs.ingest.jobs import ingest_job
from pipelines.defs.resources import HomeResource, WarehouseResource
from pipelines.lib.gx import BLOCKING_CHECK, WARNING_CHECK
from salesplan.entities import ENTITIES
from salesplan.home import SalesplanHome

HISTORY_PARTITION = "2026-03-01"  # as-of 2026-03 loads the 2026-02 extract
DELTA_PARTITION = "2026-04-01"
PAYMENTS = f"{DELTA_MONTH}/erp/payments_{DELTA_MONTH}.parquet"


def resources(home: SalesplanHome) -> dict[str, object]:
    root = str(home.root)
    return {"home": HomeResource(root=root), "warehouse": WarehouseResource(root=root)}


def materialize(home: SalesplanHome, selection: list[str]) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        INGEST_ASSETS,
        selection=selection,
        partition_key=DELTA_PARTITION,
        resources=resources(home),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def checks_of(result: dg.ExecuteInProcessResult, entity: str) -> dict[str, object]:
    key = ingest_asset_key(entity)
    return {
        evaluation.check_name: evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.asset_key == key
    }


def rewrite_payments(home: SalesplanHome, **columns: list[object]) -> None:
    """Make the March payments reference February's invoices only (loaded in ``loaded``)."""
    path = home.extract_folder(DELTA_MONTH) / f"erp/payments_{DELTA_MONTH}.parquet"
    frame = pd.read_parquet(path)
    frame["invoice_id"] = ["INV1", "INV2"]
    for column, values in columns.items():
        frame[column] = values
    frame.to_parquet(path, index=False)


@pytest.fixture(scope="module")
def graph() -> dg.AssetGraph:
    definitions = dg.Definitions(
        assets=INGEST_ASSETS, resources={"home": HomeResource(), "warehouse": WarehouseResource()}
    )
    return definitions.resolve_asset_graph()


def test_partition_m_loads_the_extract_of_month_m_minus_one():
    assert extract_months_of(["2026-04-01"]) == ["2026-03"]
    assert extract_months_of(["2026-03-01", "2026-02-01"]) == ["2026-01", "2026-02"]


def test_every_entity_has_an_asset_in_its_systems_group_depending_on_what_it_references(graph):
    groups = {"crm": "crm_ingest", "erp": "erp_ingest", "planning": "planning_inputs"}
    for name, table in ENTITIES.items():
        node = graph.get(ingest_asset_key(name))
        assert node.group_name == groups[table.system]
        assert node.pools == {"warehouse"}
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
        assert f"raw.{name}" in node.description
    assert graph.get(dg.AssetKey("erp_payments_raw")).parent_keys == {
        dg.AssetKey("erp_invoices_raw")
    }
    order_lines = graph.get(dg.AssetKey("erp_order_lines_raw")).parent_keys
    assert {dg.AssetKey("erp_products_raw"), dg.AssetKey("crm_opportunities_raw")} <= order_lines


def test_a_backfill_range_materializes_every_asset_in_one_run_oldest_month_first(tiny_home):
    definitions = dg.Definitions(
        assets=INGEST_ASSETS, jobs=[ingest_job], resources=resources(tiny_home)
    )
    result = definitions.resolve_job_def("ingest_job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": HISTORY_PARTITION,
            "dagster/asset_partition_range_end": DELTA_PARTITION,
        },
    )
    assert result.success
    for name in ENTITIES:
        checks = checks_of(result, name)
        assert checks[BLOCKING_CHECK].passed, name
        assert checks[WARNING_CHECK].passed, name
    materializations = result.asset_materializations_for_node("erp_payments_raw")
    assert sorted(m.partition for m in materializations) == [HISTORY_PARTITION, DELTA_PARTITION]
    metadata = materializations[0].metadata
    assert metadata["extract_months"].value == f"{FIRST_MONTH}, {DELTA_MONTH}"
    assert metadata["dagster/row_count"].value == 3
    assert len(metadata["sha256"].value) == 2


def test_materializing_a_partition_records_files_sha256_rows_and_months(loaded):
    rewrite_payments(loaded)
    result = materialize(loaded, ["erp_payments_raw"])
    assert result.success
    (materialization,) = result.asset_materializations_for_node("erp_payments_raw")
    metadata = materialization.metadata
    assert materialization.partition == DELTA_PARTITION
    assert metadata["extract_months"].value == DELTA_MONTH
    assert metadata["as_of_months"].value == "2026-04"
    assert metadata["dagster/row_count"].value == 2
    assert metadata["rows_quarantined"].value == 0
    (sha,) = metadata["sha256"].value.items()
    assert sha[0] == PAYMENTS
    assert len(sha[1]) == 64
    assert "erp_payments" in metadata["files"].value
    checks = checks_of(result, "payments")
    assert checks[BLOCKING_CHECK].passed
    assert checks[BLOCKING_CHECK].blocking
    assert "invoice_id_reference" in checks[BLOCKING_CHECK].metadata["rules"].value
    assert checks[WARNING_CHECK].passed


def test_a_blocking_failure_fails_the_check_writes_nothing_and_stops_downstream(loaded):
    path = loaded.extract_folder(DELTA_MONTH) / f"erp/invoices_{DELTA_MONTH}.parquet"
    frame = pd.read_parquet(path)
    frame["amount"] = -1.0
    frame.to_parquet(path, index=False)
    result = materialize(loaded, ["erp_invoices_raw", "erp_payments_raw"])
    assert not result.success
    check = checks_of(result, "invoices")[BLOCKING_CHECK]
    assert not check.passed
    assert f"{DELTA_MONTH}/erp/invoices_{DELTA_MONTH}.parquet, row 1" in check.description
    assert check.metadata["failed_rules"].value == ["amount_non_negative"]
    failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failed == ["erp_invoices_raw"]
    assert not result.asset_materializations_for_node("erp_payments_raw")
    with duckdb.connect(str(loaded.warehouse), read_only=True) as connection:
        rows = connection.execute(
            "SELECT count(*) FROM raw.invoices WHERE _extract_month = DATE '2026-03-01'"
        ).fetchone()
    assert rows == (0,)


def test_quarantined_rows_fail_the_warning_check_without_blocking(loaded):
    rewrite_payments(loaded, amount=[3000.0, 0.0])
    result = materialize(loaded, ["erp_payments_raw"])
    assert result.success
    checks = checks_of(result, "payments")
    assert checks[BLOCKING_CHECK].passed
    warning = checks[WARNING_CHECK]
    assert not warning.passed
    assert warning.severity == dg.AssetCheckSeverity.WARN
    assert warning.metadata["quarantined_rows"].value == 1
    (materialization,) = result.asset_materializations_for_node("erp_payments_raw")
    assert materialization.metadata["rows_quarantined"].value == 1


def test_a_missing_extract_folder_fails_naming_it(tiny_home):
    result = dg.materialize(
        INGEST_ASSETS,
        selection=["planning_regions_raw"],
        partition_key="2026-06-01",
        resources=resources(tiny_home),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    check = checks_of(result, "regions")[BLOCKING_CHECK]
    assert "landing/extracts/2026-05/ is missing" in check.description
