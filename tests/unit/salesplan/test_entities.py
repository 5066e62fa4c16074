import pytest

from salesplan.entities import DUCKDB_TYPES, ENTITIES, entity


def test_every_reference_points_at_an_existing_entity_column():
    for table in ENTITIES.values():
        for column in table.columns:
            if column.references:
                target, target_column = column.references.split(".")
                assert target_column in entity(target).column_names, (table.name, column.name)


def test_every_column_type_has_a_warehouse_type():
    assert {c.dtype for t in ENTITIES.values() for c in t.columns} <= set(DUCKDB_TYPES)


def test_optional_columns_are_nullable_and_required_ones_are_not():
    for table in ENTITIES.values():
        for column in table.columns:
            assert column.nullable != column.required, (table.name, column.name)


def test_unknown_entity_and_column_errors_list_what_is_known():
    with pytest.raises(KeyError, match="known: leads"):
        entity("deals")
    with pytest.raises(KeyError, match="known: opportunity_id"):
        entity("opportunities").column("stage_name")
