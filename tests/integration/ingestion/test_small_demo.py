"""The small demo ingests cleanly, every month, including its Salesforce and GBK exports."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import demodata
from ingestion.load import EntityLoad, ingest
from salesplan.entities import ENTITIES
from salesplan.home import SalesplanHome, resolve_home


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[SalesplanHome, list[EntityLoad]]:
    """The small demo, generated and ingested (all extract months) once for this module."""
    home = resolve_home(tmp_path_factory.mktemp("small_demo") / "home")
    demodata.generate(home.root, size="small", seed=7, end_month="2026-10")
    months = sorted(folder.name for folder in home.extracts.iterdir() if folder.is_dir())
    return home, ingest(home, months)


def query(home: SalesplanHome, sql: str) -> list[tuple]:
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_every_entity_of_every_month_loads_and_passes_its_blocking_rules(small_demo):
    _, loads = small_demo
    assert {load.entity for load in loads} == set(ENTITIES)
    for load in loads:
        assert not any(outcome.blocks for outcome in load.outcomes), load.entity
        assert load.rows_loaded + load.rows_quarantined == load.rows_read, load.entity
        assert load.rows_loaded > 0, load.entity
    assert len(loads[0].extract_months) == 13


def test_every_file_is_in_the_load_log_with_its_checksum(small_demo):
    home, _ = small_demo
    files = sorted(
        path.relative_to(home.extracts).as_posix()
        for path in home.extracts.rglob("*")
        if path.is_file()
    )
    logged = [row[0] for row in query(home, "SELECT source_file FROM raw.load_log ORDER BY 1")]
    assert logged == files
    assert query(home, "SELECT count(*) FROM raw.load_log WHERE length(sha256) <> 64") == [(0,)]


@pytest.mark.parametrize(
    ("folder", "regions"),
    [("salesforce", {"INTL"}), ("fxiaoke", {"EAST", "SOUTH", "NORTH"})],
    ids=["Salesforce export", "Chinese GBK export"],
)
def test_the_non_canonical_exports_map_onto_canonical_values(small_demo, folder, regions):
    home, _ = small_demo
    for entity in ("leads", "opportunities"):
        rows = query(
            home,
            f"SELECT DISTINCT region FROM raw.{entity} WHERE _source_file LIKE '%/{folder}/%'",
        )
        assert {region for (region,) in rows} == regions, entity
    stages = query(
        home,
        "SELECT DISTINCT stage FROM raw.opportunities "
        f"WHERE _source_file LIKE '%/{folder}/%' ORDER BY 1",
    )
    assert {stage for (stage,) in stages} <= set(ENTITIES["opportunities"].column("stage").allowed)
    assert ("closed_won",) in stages


def test_reloading_the_latest_month_leaves_identical_tables(small_demo):
    home, loads = small_demo
    latest = loads[0].extract_months[-1]

    def state() -> dict[str, list[tuple]]:
        return {
            name: query(home, f"SELECT * FROM raw.{name} ORDER BY ALL")
            for name in [*ENTITIES, "quarantine", "load_log"]
        }

    before = state()
    ingest(home, [latest])
    assert state() == before


def test_the_demo_folder_layout_is_what_ingestion_expects(small_demo):
    home, _ = small_demo
    assert Path(home.profiles / "fxiaoke_opportunities.yml").exists()
    assert (home.extracts / "2025-10").is_dir()
