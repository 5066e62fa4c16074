import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.defs.dbt.dbt_vars import dbt_vars_for_partition
from pipelines.partitions import AS_OF_MONTHS, partition_key_for


def test_vars_carry_the_as_of_month_as_the_first_day_of_the_partition_month():
    dbt_vars = dbt_vars_for_partition(
        "2026-11-01", fiscal_year_start_month=4, reporting_currency="CNY"
    )

    assert dbt_vars == {
        "as_of_month": "2026-11-01",
        "fiscal_year_start_month": 4,
        "reporting_currency": "CNY",
    }


def test_a_month_written_without_its_day_gives_the_same_vars_as_its_partition_key():
    assert dbt_vars_for_partition(
        "2026-03", fiscal_year_start_month=1, reporting_currency="CNY"
    ) == dbt_vars_for_partition("2026-03-01", fiscal_year_start_month=1, reporting_currency="CNY")


def test_the_reconciliation_tolerance_is_passed_only_when_given():
    default = dbt_vars_for_partition(
        "2026-11-01", fiscal_year_start_month=1, reporting_currency="CNY"
    )
    strict = dbt_vars_for_partition(
        "2026-11-01",
        fiscal_year_start_month=1,
        reporting_currency="CNY",
        reconciliation_tolerance=0.01,
    )

    assert "reconciliation_tolerance" not in default
    assert strict["reconciliation_tolerance"] == 0.01


def test_the_currency_code_is_upper_cased():
    dbt_vars = dbt_vars_for_partition(
        "2026-11-01", fiscal_year_start_month=1, reporting_currency="usd"
    )

    assert dbt_vars["reporting_currency"] == "USD"


@pytest.mark.parametrize("key", ["2026-11-15", "2026-13-01", "November", ""])
def test_a_partition_key_that_is_not_a_month_is_rejected(key):
    with pytest.raises(ValueError, match="is not a month"):
        dbt_vars_for_partition(key, fiscal_year_start_month=1, reporting_currency="CNY")


@pytest.mark.parametrize("start_month", [0, 13, -1])
def test_a_fiscal_start_month_outside_1_to_12_is_rejected_with_its_value(start_month):
    with pytest.raises(ValueError, match=f"not {start_month}"):
        dbt_vars_for_partition(
            "2026-11-01", fiscal_year_start_month=start_month, reporting_currency="CNY"
        )


@pytest.mark.parametrize("currency", ["RMB ", "C", "元元元", "12A"])
def test_a_currency_that_is_not_a_three_letter_code_is_rejected(currency):
    with pytest.raises(ValueError, match="three-letter currency code"):
        dbt_vars_for_partition("2026-11-01", fiscal_year_start_month=1, reporting_currency=currency)


def test_a_negative_tolerance_is_rejected():
    with pytest.raises(ValueError, match="reconciliation_tolerance must be >= 0"):
        dbt_vars_for_partition(
            "2026-11-01",
            fiscal_year_start_month=1,
            reporting_currency="CNY",
            reconciliation_tolerance=-0.1,
        )


@given(
    month=st.dates(min_value=dt.date(2021, 2, 1), max_value=dt.date(2099, 12, 1)),
    start_month=st.integers(min_value=1, max_value=12),
)
def test_every_partition_key_maps_to_its_own_month(month, start_month):
    key = partition_key_for(f"{month.year:04d}-{month.month:02d}")

    dbt_vars = dbt_vars_for_partition(
        key, fiscal_year_start_month=start_month, reporting_currency="CNY"
    )

    assert dbt_vars["as_of_month"] == key
    assert dbt_vars["fiscal_year_start_month"] == start_month


def test_the_vars_of_every_existing_partition_name_its_key():
    keys = AS_OF_MONTHS.get_partition_keys()

    assert [
        dbt_vars_for_partition(key, fiscal_year_start_month=1, reporting_currency="CNY")[
            "as_of_month"
        ]
        for key in keys
    ] == keys
