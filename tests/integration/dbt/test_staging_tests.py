"""Staging's dbt tests check what staging decides, not what the ingestion already ensured.

The raw layer holds only rows that passed every blocking rule of the ingestion
(``expectations.rules``: a required column null, a category outside its allowed set, a negative
amount or a reference to a record not loaded yet makes the load write nothing), an optional
column with a documented default holds it wherever the extract left it out or empty
(``ingestion.mapping``, tested in ``tests/unit/ingestion/test_mapping.py``), and staging passes
those columns through with a cast. A dbt test of the same rule on staging can never fail, and
costs a query and a node in every monthly build.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pipelines.defs.dbt.project import ensure_manifest
from salesplan.entities import ENTITIES, Column, Entity


@dataclass(frozen=True)
class StagingTest:
    """One generic dbt test on a column of a staging model."""

    model: str
    kind: str
    column: str
    arguments: dict[str, Any]


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    """The code location's dbt manifest."""
    return json.loads(ensure_manifest(lambda _message: None).read_text(encoding="utf-8"))


def staged_entity(model: str) -> Entity | None:
    """The raw entity a staging model ``stg_<system>__<entity>`` stages, if it stages one."""
    match = re.fullmatch(r"stg_[a-z]+__([a-z_]+)", model)
    return ENTITIES.get(match.group(1)) if match else None


def staging_column_tests(manifest: dict[str, Any]) -> Iterator[StagingTest]:
    """The generic tests on columns of staging models."""
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata")
        if node["resource_type"] != "test" or not metadata:
            continue
        model = node["attached_node"].split(".")[-1]
        column = metadata["kwargs"].get("column_name")
        if model.startswith("stg_") and column:
            yield StagingTest(model, metadata["name"], column, metadata["kwargs"])


def refused_by_ingestion(test: StagingTest, column: Column) -> bool:
    """Whether the ingestion already ensures that ``column`` never has what ``test`` finds."""
    if test.kind == "not_null":
        # An optional column with a documented default is filled with it, missing or empty.
        return not column.nullable or column.default is not None
    if test.kind == "accepted_values":
        return column.allowed is not None and set(column.allowed) <= set(test.arguments["values"])
    if test.kind == "accepted_range":
        minimum, maximum = test.arguments.get("min_value"), test.arguments.get("max_value")
        return column.non_negative and maximum is None and minimum is not None and minimum <= 0
    if test.kind == "relationships":
        return column.references is not None
    return False


def pass_through(model_sql: str, column: str) -> bool:
    """Whether the staging SQL selects ``column`` as a cast of the raw column of that name."""
    cast = rf"cast\(\s*{column}\s+as\s+[^\n]*?\)\s+as\s+{column}\b"
    return re.search(cast, model_sql) is not None


def selects(model_sql: str, column: str) -> bool:
    """Whether the staging SQL outputs a column called ``column``."""
    return re.search(rf"\bas\s+{column}\s*(,|$)", model_sql, re.MULTILINE) is not None


def test_staging_does_not_retest_what_the_ingestion_refuses(manifest):
    retested = []
    for test in staging_column_tests(manifest):
        entity = staged_entity(test.model)
        if entity is None or test.column not in entity.column_names:
            continue
        if refused_by_ingestion(test, entity.column(test.column)):
            retested.append(f"{test.kind} on {test.model}.{test.column}")
    assert not retested, (
        "these staging tests repeat what the ingestion ensures and can never fail: "
        + ", ".join(sorted(retested))
    )


def test_staging_passes_the_ingestion_checked_columns_through_with_a_cast(manifest):
    # The premise of the test above: a staged column that is computed instead (a join, a
    # coalesce, a try_cast) is no longer what the ingestion checked, and needs its own tests.
    models = {
        node["name"]: node["raw_code"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"].startswith("stg_")
    }
    computed = []
    for model, sql in models.items():
        entity = staged_entity(model)
        assert entity is not None, f"{model} stages no raw entity"
        for column in entity.columns:
            checked = (
                not column.nullable
                or column.default is not None
                or column.allowed
                or column.non_negative
            )
            staged = selects(sql, column.name)
            if (checked or column.references) and staged and not pass_through(sql, column.name):
                computed.append(f"{model}.{column.name}")
    assert not computed, f"not a plain cast of the raw column: {', '.join(computed)}"


def test_the_cast_check_tells_a_computed_column_from_a_cast():
    assert pass_through("cast(region as {{ dbt.type_string() }}) as region,", "region")
    assert pass_through("cast(amount as decimal(18, 2)) as amount", "amount")
    assert not pass_through("coalesce(r.region, 'none') as region", "region")
    assert not pass_through("cast(region_code as varchar) as region", "region")
    assert selects("coalesce(r.region, 'none') as region,\n", "region")
    assert not selects("cast(name as varchar) as partner_name,\n", "name")


def test_a_narrower_staging_category_is_still_tested():
    column = ENTITIES["opportunities"].column("channel")
    narrower = StagingTest("stg_crm__opportunities", "accepted_values", "channel", {"values": []})
    assert not refused_by_ingestion(narrower, column)
    same = StagingTest(
        "stg_crm__opportunities", "accepted_values", "channel", {"values": ["direct", "partner"]}
    )
    assert refused_by_ingestion(same, column)
