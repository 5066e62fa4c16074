"""The forecast coherence check, on rows in an in-memory DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.defs.forecasts.checks import coherent

KEYS = ["region", "product_line"]
ROWS = [
    # level, region, product_line, month, value
    ("company", None, None, "2025-01-01", "60.00"),
    ("company", None, None, "2025-02-01", "6.03"),
    ("region", "EAST", None, "2025-01-01", "30.00"),
    ("region", "WEST", None, "2025-01-01", "30.00"),
    ("region", "EAST", None, "2025-02-01", "3.01"),
    ("region", "WEST", None, "2025-02-01", "3.02"),
    ("segment", "EAST", "CLOUD", "2025-01-01", "10.00"),
    ("segment", "EAST", "ERP", "2025-01-01", "20.00"),
    ("segment", "WEST", "CLOUD", "2025-01-01", "30.00"),
    ("segment", "EAST", "CLOUD", "2025-02-01", "1.00"),
    ("segment", "EAST", "ERP", "2025-02-01", "2.01"),
    ("segment", "WEST", "CLOUD", "2025-02-01", "3.02"),
]


@pytest.fixture
def connection() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE forecast (as_of_month DATE, metric VARCHAR, level VARCHAR, "
        "region VARCHAR, product_line VARCHAR, month DATE, yhat DECIMAL(18, 2))"
    )
    for version in ("2025-01-01", "2024-12-01"):
        connection.executemany(
            "INSERT INTO forecast VALUES (?, 'bookings', ?, ?, ?, ?, ?)",
            [(version, *row) for row in ROWS],
        )
    return connection


def check(connection: duckdb.DuckDBPyConnection, version: str = "2025-01-01"):
    result = coherent(
        connection,
        "SELECT * FROM forecast WHERE as_of_month = $as_of",
        {"as_of": version},
        KEYS,
        "yhat",
        ["metric", "month"],
        "forecast_monthly",
    )
    return result.passed, {name: value.value for name, value in result.metadata.items()}


def test_parents_that_are_the_exact_sums_of_their_segments_pass(connection) -> None:
    passed, metadata = check(connection)

    assert passed
    assert metadata["parents_compared"] == 6  # 2 company + 4 region rows
    assert metadata["mismatches"] == 0


def test_a_parent_one_cent_off_fails_and_is_named(connection) -> None:
    connection.execute(
        "UPDATE forecast SET yhat = 3.02 WHERE as_of_month = '2025-01-01' AND level = 'region' "
        "AND region = 'EAST' AND month = '2025-02-01'"
    )

    passed, metadata = check(connection)

    assert not passed
    assert metadata["mismatches"] == 1
    first = metadata["first"]
    assert "'level': 'region'" in first
    assert "EAST" in first
    assert "3.02" in first  # the parent
    assert "3.01" in first  # the sum of its segments


def test_a_parent_without_segments_fails(connection) -> None:
    connection.execute(
        "DELETE FROM forecast WHERE as_of_month = '2025-01-01' AND level = 'segment' "
        "AND region = 'WEST'"
    )

    passed, metadata = check(connection)

    assert not passed
    # WEST's two region rows have no segments left, and the company rows lost WEST's share.
    assert metadata["mismatches"] == 4


def test_only_the_checked_version_counts(connection) -> None:
    connection.execute("UPDATE forecast SET yhat = yhat + 1 WHERE as_of_month = '2024-12-01'")

    assert check(connection)[0]
    assert not check(connection, "2024-12-01")[0]


def test_a_version_without_parents_fails(connection) -> None:
    connection.execute("DELETE FROM forecast WHERE level <> 'segment'")

    passed, metadata = check(connection)

    assert not passed
    assert metadata["parents_compared"] == 0
