import numpy as np
import pandas as pd
import pytest

from expectations import suite_for, validate_frame
from expectations.rules import Severity


def payments(**changes: list[object]) -> pd.DataFrame:
    """Typed payments of extract month 2026-03, as ingestion.mapping produces them."""
    rows = {
        "payment_id": ["PAY1", "PAY2", "PAY3", "PAY4"],
        "invoice_id": ["INV1", "INV1", "INV2", "INV3"],
        "paid_at": pd.to_datetime(["2026-03-01", "2026-03-09", "2026-03-31", "2026-02-27"]),
        "amount": [100.0, 250.5, 80.0, 10.0],
        "currency": ["CNY", "CNY", "USD", "CNY"],
        "_extract_month": pd.Timestamp("2026-03-01"),
        "_source_file": "2026-03/erp/payments.parquet",
        "_source_row": np.arange(1, 5, dtype=np.int64),
    }
    rows.update(changes)
    return pd.DataFrame(rows)


def outcomes(frame: pd.DataFrame, **kwargs: float) -> dict[str, object]:
    return {o.rule: o for o in validate_frame(suite_for("payments"), frame, **kwargs)}


def test_a_clean_frame_passes_every_rule():
    results = outcomes(payments())
    assert not [rule for rule, outcome in results.items() if outcome.blocks or outcome.failed]
    assert results["amount_non_negative"].evaluated == 4


def test_a_negative_amount_blocks_naming_file_row_and_value():
    result = outcomes(payments(amount=[100.0, -5.0, 80.0, 10.0]))["amount_non_negative"]
    assert result.blocks
    assert result.severity is Severity.BLOCKING
    (failure,) = result.failures
    assert (failure.file, failure.row, failure.column, failure.value) == (
        "2026-03/erp/payments.parquet",
        2,
        "amount",
        -5.0,
    )


def test_a_date_after_the_extract_month_blocks():
    late = pd.to_datetime(
        ["2026-03-01", "2026-04-01", "2026-03-31 23:59", "2026-02-01"], format="ISO8601"
    )
    result = outcomes(payments(paid_at=late))["paid_at_not_after_extract"]
    assert result.blocks
    assert [f.row for f in result.failures] == [2]


def test_a_duplicate_key_blocks_listing_both_rows():
    result = outcomes(payments(payment_id=["PAY1", "PAY1", "PAY3", "PAY4"]))["key_unique"]
    assert result.blocks
    assert sorted(f.row for f in result.failures) == [1, 2]


def test_the_same_key_in_two_extract_months_is_two_versions_not_a_duplicate():
    months = pd.to_datetime(["2026-02-01", "2026-03-01", "2026-03-01", "2026-03-01"])
    frame = payments(payment_id=["PAY1", "PAY1", "PAY3", "PAY4"], _extract_month=months)
    frame.loc[0, "paid_at"] = pd.Timestamp("2026-02-20")
    assert not outcomes(frame)["key_unique"].failed


def test_a_missing_required_value_blocks():
    result = outcomes(payments(invoice_id=["INV1", None, "INV2", "INV3"]))["invoice_id_not_null"]
    assert result.blocks
    assert result.failures[0].row == 2


def test_a_warning_rule_lists_its_rows_for_quarantine_without_blocking():
    result = outcomes(payments(amount=[100.0, 0.0, 80.0, 10.0]))["amount_positive"]
    assert result.severity is Severity.WARNING
    assert not result.blocks
    assert result.failed == 1
    assert result.failures[0].row == 2


def test_a_warning_rule_blocks_when_fewer_rows_than_the_tolerance_pass_it():
    frame = payments(amount=[0.0, 0.0, 0.0, 10.0])
    assert outcomes(frame)["amount_positive"].blocks
    assert not outcomes(frame, min_clean_share=0.2)["amount_positive"].blocks


def test_a_frame_without_rows_passes():
    assert not any(o.blocks for o in outcomes(payments().iloc[0:0]).values())


@pytest.mark.parametrize(
    ("stage", "is_won", "is_closed"),
    [("closed_won", False, True), ("proposal", True, True), ("closed_lost", False, False)],
)
def test_an_opportunity_whose_stage_contradicts_its_flags_is_quarantined(stage, is_won, is_closed):
    frame = pd.DataFrame(
        {
            "opportunity_id": ["O1"],
            "account_id": ["A1"],
            "created_at": pd.to_datetime(["2026-03-02 10:00"]),
            "close_date": pd.to_datetime(["2026-03-20"]),
            "stage": [stage],
            "is_won": pd.array([is_won], dtype="boolean"),
            "is_closed": pd.array([is_closed], dtype="boolean"),
            "amount": [10.0],
            "currency": ["CNY"],
            "product_line": ["AI"],
            "region": ["EAST"],
            "channel": ["direct"],
            "partner_id": [None],
            "deal_type": ["new"],
            "owner_rep_id": ["R1"],
            "_extract_month": pd.Timestamp("2026-03-01"),
            "_source_file": "o.csv",
            "_source_row": np.array([1], dtype=np.int64),
        }
    )
    results = {
        o.rule: o for o in validate_frame(suite_for("opportunities"), frame, min_clean_share=0)
    }
    stage_rules = [rule for rule in results if rule.startswith("stage_matches_")]
    contradicted = [rule for rule in stage_rules if results[rule].failed]
    assert contradicted
    assert all(results[r].severity is Severity.WARNING for r in contradicted)
    assert not any(o.blocks for o in results.values())
