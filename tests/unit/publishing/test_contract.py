from pathlib import Path

import pytest

from publishing.contract import (
    PUBLISHED_TABLES,
    README_BEGIN,
    README_END,
    UNSTATED_GRAIN,
    ContractChanged,
    check_contract,
    contract_differences,
    contract_markdown,
    load_contract,
)

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_contract_covers_exactly_the_published_tables():
    assert list(load_contract()) == [table.name for table in PUBLISHED_TABLES]


def test_every_table_of_the_committed_contract_states_its_grain():
    for name, spec in load_contract().items():
        assert spec.grain.strip(), name
        assert spec.grain != UNSTATED_GRAIN, name


def test_every_published_row_carries_its_as_of_month():
    for name, spec in load_contract().items():
        assert "as_of_month" in dict(spec.columns), name


def test_the_readme_shows_the_committed_contract():
    text = README.read_text(encoding="utf-8")
    start, end = text.index(README_BEGIN), text.index(README_END) + len(README_END)
    assert text[start:end] == contract_markdown(), (
        "README's BI contract is stale: run python -m publishing.contract --markdown"
    )


def test_a_schema_change_is_refused_with_what_changed():
    columns = list(load_contract()["target_plan"].columns)
    renamed = [
        ("target", kind) if name == "adjusted_target" else (name, kind) for name, kind in columns
    ]
    problems = contract_differences("target_plan", renamed, load_contract())
    assert problems == ["column adjusted_target is missing", "column target is new"]
    with pytest.raises(ContractChanged, match=r"target_plan would change its schema.*previous"):
        check_contract("target_plan", renamed)


def test_a_type_change_and_a_reorder_are_schema_changes_too():
    columns = list(load_contract()["dim_region"].columns)
    retyped = [(name, "DOUBLE" if name == "market_potential" else kind) for name, kind in columns]
    assert contract_differences("dim_region", retyped, load_contract()) == [
        "column market_potential is DOUBLE, the contract says DECIMAL(18,2)"
    ]
    reordered = [columns[1], columns[0], *columns[2:]]
    assert "another order" in contract_differences("dim_region", reordered, load_contract())[0]
    check_contract("dim_region", columns)  # unchanged: no error
