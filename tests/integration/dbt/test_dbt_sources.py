"""The dbt sources declare exactly the raw tables of the contract (salesplan.entities)."""

from __future__ import annotations

import re

import pytest
import yaml

from pipelines.defs.dbt.project import DBT_PROJECT_DIR
from salesplan.entities import ENTITIES

LINEAGE = [("_extract_month", "date"), ("_source_file", "varchar"), ("_source_row", "bigint")]
SOURCE_FILES = sorted((DBT_PROJECT_DIR / "models" / "staging").glob("*/_*__sources.yml"))


def _normalized(data_type: str) -> str:
    return re.sub(r"\s+", "", data_type.lower())


def _declared_tables() -> list:
    tables = []
    for path in SOURCE_FILES:
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]:
            assert source["schema"] == "raw", path
            tables += [
                pytest.param(source["name"], table, id=f"{source['name']}.{table['name']}")
                for table in source["tables"]
            ]
    return tables


def test_there_is_one_sources_file_per_source_system():
    assert [path.parent.name for path in SOURCE_FILES] == ["crm", "erp", "planning"]


@pytest.mark.parametrize(("system", "table"), _declared_tables())
def test_a_source_table_has_the_columns_and_types_of_its_entity(system, table):
    entity = ENTITIES[table["name"]]
    expected = [(c.name, _normalized(c.warehouse_type)) for c in entity.columns] + LINEAGE

    declared = [(column["name"], _normalized(column["data_type"])) for column in table["columns"]]

    assert entity.system == system
    assert declared == expected


@pytest.mark.parametrize(("system", "table"), _declared_tables())
def test_a_source_table_points_at_the_ingestion_asset_of_its_entity(system, table):
    assert table["config"]["meta"]["dagster"]["asset_key"] == [f"{system}_{table['name']}_raw"]
