"""Loads into a real DuckDB warehouse: contents, idempotence, month replacement, quarantine."""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest
from tiny_landing import DELTA_MONTH, FIRST_MONTH, write_xlsx

from expectations import reference_rules
from ingestion.load import ingest, load_order
from salesplan.entities import ENTITIES
from salesplan.home import SalesplanHome, resolve_home


@pytest.fixture(scope="module")
def both_months(loaded_template, tmp_path_factory) -> tuple[SalesplanHome, dict[str, object]]:
    """Both extract months loaded (read-only for the tests that use it), and the loads."""
    root = tmp_path_factory.mktemp("both_months") / "home"
    shutil.copytree(loaded_template, root)
    home = resolve_home(root)
    return home, {load.entity: load for load in ingest(home, [DELTA_MONTH])}


def query(home: SalesplanHome, sql: str) -> list[tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_both_months_load_with_every_shape_mapped_onto_the_contract(both_months):
    loaded, loads = both_months
    assert loads["payments"].rows_loaded == 2
    assert query(loaded, "SELECT count(*) FROM raw.opportunities") == [(5,)]
    # EAST rows came from the GBK Chinese export, INTL rows from the Salesforce export.
    rows = query(
        loaded,
        "SELECT opportunity_id, stage, is_won, amount, currency, region, strftime(created_at, "
        "'%Y-%m-%d %H:%M'), _source_file, _source_row, _extract_month FROM raw.opportunities "
        "WHERE _extract_month = DATE '2026-03-01' ORDER BY 1",
    )
    assert [row[:7] for row in rows] == [
        ("O2", "closed_won", True, 12000, "CNY", "EAST", "2026-02-03 09:00"),
        ("O4", "prospecting", False, 3000, "USD", "INTL", "2026-03-02 16:45"),
    ]
    assert rows[0][7:9] == (f"{DELTA_MONTH}/fxiaoke/商机导出_{DELTA_MONTH}.csv", 1)
    assert rows[1][7] == f"{DELTA_MONTH}/salesforce/Opportunity_Report_{DELTA_MONTH}.csv"
    # O2 keeps both versions, one per extract month.
    assert query(loaded, "SELECT count(*) FROM raw.opportunities WHERE opportunity_id = 'O2'") == [
        (2,)
    ]


def test_the_raw_tables_have_the_contract_columns_and_types(both_months):
    loaded, _ = both_months
    for name, table in ENTITIES.items():
        columns = query(
            loaded,
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = 'raw' AND table_name = '{name}' ORDER BY ordinal_position",
        )
        expected = [c.name for c in table.columns] + [
            "_extract_month",
            "_source_file",
            "_source_row",
        ]
        assert [c for c, _ in columns] == expected
    assert ("amount", "DECIMAL(18,2)") in query(
        loaded,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_name = 'payments'",
    )


def test_the_load_log_records_file_sha256_row_count_and_extract_month(both_months):
    loaded, _ = both_months
    rows = query(
        loaded,
        "SELECT source_file, profile, length(sha256), row_count, loaded_rows, quarantined_rows "
        "FROM raw.load_log WHERE entity = 'payments' AND _extract_month = DATE '2026-03-01'",
    )
    assert rows == [
        (f"{DELTA_MONTH}/erp/payments_{DELTA_MONTH}.parquet", "erp_payments", 64, 2, 2, 0)
    ]


def raw_state(home: SalesplanHome) -> dict[str, list[tuple]]:
    names = [*ENTITIES, "quarantine", "load_log"]
    # Contents, not physical order: a reload deletes and re-appends rows.
    return {name: sorted(query(home, f"SELECT * FROM raw.{name}"), key=repr) for name in names}


def test_loading_the_same_extracts_twice_leaves_identical_tables(loaded):
    first = raw_state(loaded)
    ingest(loaded, [FIRST_MONTH])
    assert raw_state(loaded) == first


def test_a_reload_replaces_exactly_that_months_rows(loaded):
    ingest(loaded, [DELTA_MONTH])
    path = loaded.extract_folder(DELTA_MONTH) / f"erp/payments_{DELTA_MONTH}.parquet"
    frame = pd.read_parquet(path)
    frame.iloc[[0]].to_parquet(path, index=False)
    ingest(loaded, [DELTA_MONTH], entities=["payments"])
    assert query(loaded, "SELECT payment_id, _extract_month FROM raw.payments ORDER BY 2, 1") == [
        ("PAY1", pd.Timestamp("2026-02-01").date()),
        ("PAY2", pd.Timestamp("2026-03-01").date()),
    ]


def test_a_non_blocking_rule_quarantines_the_row_with_its_reason_and_count(loaded):
    ingest(loaded, [DELTA_MONTH], entities=["regions", "accounts", "products", "partners", "reps"])
    ingest(loaded, [DELTA_MONTH], entities=["opportunities", "order_lines", "invoices"])
    path = loaded.extract_folder(DELTA_MONTH) / f"erp/payments_{DELTA_MONTH}.parquet"
    frame = pd.read_parquet(path)
    frame["amount"] = [3000.0, 0.0]
    frame.to_parquet(path, index=False)
    (load,) = ingest(loaded, [DELTA_MONTH], entities=["payments"])
    assert (load.rows_loaded, load.rows_quarantined) == (1, 1)
    assert "1 quarantined" in load.summary()
    rule, column, value, source_row, reason, record = query(
        loaded,
        "SELECT rule, column_name, value, _source_row, reason, record FROM raw.quarantine",
    )[0]
    assert (rule, column, value, source_row) == ("amount_positive", "amount", "0.0", 2)
    assert "more than 0" in reason
    assert json.loads(record)["payment_id"] == "PAY3"
    log = query(
        loaded,
        "SELECT quarantined_rows FROM raw.load_log "
        "WHERE entity = 'payments' AND _extract_month = DATE '2026-03-01'",
    )
    assert log == [(1,)]
    assert next(o for o in load.outcomes if o.rule == "amount_positive").failed == 1


def test_rows_referencing_a_quarantined_row_follow_it_into_quarantine(loaded):
    folder = loaded.extract_folder(DELTA_MONTH)
    products = pd.DataFrame(
        {
            "product_sku": ["SEC-0", "SEC-1"],
            "product_line": ["SECURITY", "SECURITY"],
            "lifecycle_stage": ["intro", "intro"],
            "list_price": [0.0, 900.0],
        }
    )
    write_xlsx(products, folder / f"erp/products_{DELTA_MONTH}.xlsx")
    lines = folder / f"erp/order_lines_{DELTA_MONTH}.parquet"
    frame = pd.read_parquet(lines)
    frame["product_sku"] = "SEC-0"
    frame.to_parquet(lines, index=False)
    loads = {load.entity: load for load in ingest(loaded, [DELTA_MONTH])}
    quarantined = {name: loads[name].rows_quarantined for name in loads}
    # The zero-price SKU, its order line, the order's invoice and the invoice's payment.
    assert quarantined == dict.fromkeys(loads, 0) | {
        "products": 1,
        "order_lines": 1,
        "invoices": 1,
        "payments": 1,
    }
    assert query(loaded, "SELECT entity, rule FROM raw.quarantine ORDER BY entity") == [
        ("invoices", "order_id_reference"),
        ("order_lines", "product_sku_reference"),
        ("payments", "invoice_id_reference"),
        ("products", "list_price_positive"),
    ]


def test_entities_load_after_the_entities_they_reference():
    order = load_order()
    assert set(order) == set(ENTITIES)
    for name in order:
        for rule in reference_rules(name):
            if rule.target_entity != name:
                assert order.index(rule.target_entity) < order.index(name), (name, rule)


@pytest.mark.parametrize("entity", ["opportunity_stage_history", "adjustments"])
def test_an_optional_entity_without_files_loads_nothing(loaded, entity):
    (load,) = ingest(loaded, [DELTA_MONTH], entities=[entity])
    assert (load.rows_loaded, load.files) == (0, [])
