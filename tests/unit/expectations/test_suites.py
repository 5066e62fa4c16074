import pytest

from expectations import SUITE_BUILDERS, reference_rules, suite_for
from expectations.rules import Severity, severity_of
from salesplan.entities import ENTITIES, entity


def rules_of(entity_name: str) -> dict[str, object]:
    return {rule.meta["rule"]: rule for rule in suite_for(entity_name).expectations}


def test_every_raw_entity_has_a_suite_named_after_its_asset():
    assert set(SUITE_BUILDERS) == set(ENTITIES)
    for name, table in ENTITIES.items():
        assert suite_for(name).name == f"{table.system}_{name}_raw"


@pytest.mark.parametrize("entity_name", sorted(ENTITIES))
def test_every_rule_has_a_unique_name_a_description_a_hint_and_a_severity(entity_name):
    names = [rule.meta["rule"] for rule in suite_for(entity_name).expectations]
    assert len(names) == len(set(names))
    for rule in suite_for(entity_name).expectations:
        assert rule.description, rule.meta["rule"]
        assert rule.meta["hint"], rule.meta["rule"]
        assert severity_of(rule.severity) in (Severity.BLOCKING, Severity.WARNING)


@pytest.mark.parametrize("entity_name", sorted(ENTITIES))
def test_the_contract_rules_are_derived_from_the_entity(entity_name):
    table = entity(entity_name)
    rules = rules_of(entity_name)
    assert "key_unique" in rules
    assert rules["key_unique"].column_list == [*table.key, "_extract_month"]
    for column in table.columns:
        assert f"{column.name}_type" in rules
        assert (f"{column.name}_not_null" in rules) == (not column.nullable)
        assert (f"{column.name}_allowed" in rules) == (column.allowed is not None)
        assert (f"{column.name}_non_negative" in rules) == column.non_negative
        assert (f"{column.name}_not_after_extract" in rules) == column.not_after_extract


def test_contract_rules_block_and_quarantine_rules_warn_with_a_tolerance():
    rules = rules_of("payments")
    assert severity_of(rules["amount_non_negative"].severity) is Severity.BLOCKING
    warning = rules["amount_positive"]
    assert severity_of(warning.severity) is Severity.WARNING
    assert warning.mostly == {"$PARAMETER": "min_clean_share"}


def test_references_come_from_the_contract_with_their_severity():
    rules = {rule.column: rule for rule in reference_rules("payments")}
    assert rules["invoice_id"].target_entity == "invoices"
    assert rules["invoice_id"].severity is Severity.BLOCKING
    opportunity = {rule.column for rule in reference_rules("opportunities")}
    assert {"account_id", "owner_rep_id", "partner_id", "region"} <= opportunity
    assert {rule.target_entity for rule in reference_rules("order_lines")} >= {"products"}
