"""A tiny, hand-made business whose funnel facts can be worked out with pen and paper.

Two regions (EAST in CNY, INTL in USD), four reps and a manager, one partner, three SKUs, seven
leads, six opportunities, a handful of activities, five orders, three invoices and four
payments, extracted month by month from 2025-01 to 2025-07. The build is as of 2025-07 with
short windows (``TINY_VARS``) so that a few cohorts are mature. The expected values in
``test_tiny_business.py`` are derived by hand in the comments there.

Records that change appear in several extract months (O1 opens in 2025-02 and is won in
2025-03; rep R2 changes tier; product AI-1 moves from intro to growth), and the 2025-07 extract
holds changes the as-of-2025-07 build must not see.
"""

from __future__ import annotations

import duckdb
from raw_warehouse import create_raw_tables, day, insert_rows, ts

AS_OF_MONTH = "2025-07-01"
TINY_VARS = {
    "as_of_month": AS_OF_MONTH,
    "fiscal_year_start_month": 1,
    "reporting_currency": "CNY",
    "lead_cohort_maturity_months": 2,
    "opportunity_cohort_maturity_months": 3,
    "rate_window_months": 6,
}

EAST_CLOUD = {"region": "EAST", "product_line": "CLOUD"}


def write_tiny_business(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables and fill them with the tiny business."""
    create_raw_tables(connection)
    _reference_data(connection)
    _leads(connection)
    _opportunities(connection)
    _activities(connection)
    _orders_invoices_payments(connection)


def _reference_data(connection: duckdb.DuckDBPyConnection) -> None:
    insert_rows(
        connection,
        "regions",
        "2025-01",
        [
            {"region": "EAST", "name_en": "East China", "name_zh": "华东", "market_potential": 1e6},
            {"region": "INTL", "name_en": "International", "market_potential": 5e5},
        ],
    )
    insert_rows(
        connection,
        "reps",
        "2025-01",
        [
            {"rep_id": "M1", "name": "Wang", "region": "EAST", "hire_date": day("2020-01-01"),
             "tier": "A", "role": "manager"},
            {"rep_id": "R1", "name": "Li", "region": "EAST", "manager_id": "M1",
             "hire_date": day("2024-01-10"), "tier": "A"},
            {"rep_id": "R3", "name": "Sam", "region": "INTL", "hire_date": day("2023-05-01"),
             "tier": "B"},
            {"rep_id": "R4", "name": "Ann", "region": "INTL", "hire_date": day("2024-06-01"),
             "tier": "B"},
        ],
    )  # fmt: skip
    insert_rows(
        connection,
        "reps",
        "2025-02",
        [{"rep_id": "R3", "name": "Sam", "region": "INTL", "hire_date": day("2023-05-01"),
          "end_date": day("2025-02-20"), "tier": "B"}],
    )  # fmt: skip
    insert_rows(
        connection,
        "reps",
        "2025-03",
        [{"rep_id": "R2", "name": "Zhao", "region": "EAST", "manager_id": "M1",
          "hire_date": day("2025-03-15"), "tier": "C"}],
    )  # fmt: skip
    insert_rows(
        connection,
        "reps",
        "2025-06",
        [{"rep_id": "R2", "name": "Zhao", "region": "EAST", "manager_id": "M1",
          "hire_date": day("2025-03-15"), "tier": "B"}],
    )  # fmt: skip
    # After the as-of month: the build of 2025-07 must still see tier B.
    insert_rows(
        connection,
        "reps",
        "2025-07",
        [{"rep_id": "R2", "name": "Zhao", "region": "EAST", "manager_id": "M1",
          "hire_date": day("2025-03-15"), "tier": "A"}],
    )  # fmt: skip
    insert_rows(
        connection,
        "partners",
        "2025-01",
        [{"partner_id": "P1", "name": "Huadong Systems", "region": "EAST", "tier": "gold"}],
    )
    insert_rows(
        connection,
        "products",
        "2025-01",
        [
            {"product_sku": "CL-1", "product_line": "CLOUD", "list_price": 100},
            {"product_sku": "CL-2", "product_line": "CLOUD", "list_price": 50},
            {"product_sku": "AI-1", "product_line": "AI", "lifecycle_stage": "intro",
             "list_price": 200},
        ],
    )  # fmt: skip
    insert_rows(
        connection,
        "products",
        "2025-05",
        [{"product_sku": "AI-1", "product_line": "AI", "lifecycle_stage": "growth",
          "list_price": 200}],
    )  # fmt: skip
    # USD has no published rate for March (February's carries over) nor May; July's rate
    # arrives after the as-of month.
    for month, rate in (("01", 7.10), ("02", 7.15), ("04", 7.20), ("06", 7.25), ("07", 7.30)):
        insert_rows(
            connection,
            "fx_rates",
            f"2025-{month}",
            [{"currency": "USD", "month": day(f"2025-{month}-01"),
              "rate_to_reporting_currency": rate}],
        )  # fmt: skip


def _lead(lead_id: str, created: str, source: str, rep: str, **steps: object) -> dict:
    return {
        "lead_id": lead_id,
        "created_at": ts(created),
        "source_channel": source,
        "owner_rep_id": rep,
        **EAST_CLOUD,
        **steps,
    }


def _leads(connection: duckdb.DuckDBPyConnection) -> None:
    insert_rows(
        connection,
        "leads",
        "2025-01",
        [
            _lead("L1", "2025-01-05 10:00", "web", "R1", mql_at=ts("2025-01-10 09:00")),
            _lead("L2", "2025-01-06 10:00", "partner", "R1", mql_at=ts("2025-01-15 09:00")),
            _lead("L3", "2025-01-07 10:00", "web", "R1"),
        ],
    )
    insert_rows(
        connection,
        "leads",
        "2025-02",
        [
            _lead("L1", "2025-01-05 10:00", "web", "R1", mql_at=ts("2025-01-10 09:00"),
                  sql_at=ts("2025-01-20 09:00"), converted_opportunity_id="O1"),
            _lead("L4", "2025-02-03 10:00", "event", "R1", mql_at=ts("2025-02-04 09:00")),
        ],
    )  # fmt: skip
    insert_rows(
        connection,
        "leads",
        "2025-03",
        [
            _lead("L4", "2025-02-03 10:00", "event", "R1", mql_at=ts("2025-02-04 09:00"),
                  sql_at=ts("2025-03-10 09:00"), converted_opportunity_id="O3"),
        ],
    )  # fmt: skip
    insert_rows(
        connection,
        "leads",
        "2025-04",
        [_lead("L5", "2025-04-10 10:00", "ads", "R1", mql_at=ts("2025-04-12 09:00"))],
    )
    insert_rows(
        connection,
        "leads",
        "2025-05",
        [_lead("L6", "2025-05-20 10:00", "web", "R1")],
    )
    insert_rows(
        connection,
        "leads",
        "2025-06",
        [
            _lead("L5", "2025-04-10 10:00", "ads", "R1", mql_at=ts("2025-04-12 09:00"),
                  sql_at=ts("2025-06-05 09:00")),
            _lead("L6", "2025-05-20 10:00", "web", "R1", mql_at=ts("2025-06-02 09:00")),
            {**_lead("L7", "2025-06-10 10:00", "web", "R4"), "region": "INTL",
             "product_line": "AI"},
        ],
    )  # fmt: skip
    insert_rows(
        connection,
        "leads",
        "2025-07",
        [_lead("L3", "2025-01-07 10:00", "web", "R1", mql_at=ts("2025-07-03 09:00"))],
    )


def _opportunity(opportunity_id: str, account: str, created: str, close: str, **rest: object):
    return {
        "opportunity_id": opportunity_id,
        "account_id": account,
        "created_at": ts(created),
        "close_date": day(close),
        "owner_rep_id": "R1",
        **EAST_CLOUD,
        **rest,
    }


OPEN = {"stage": "qualification", "is_won": False, "is_closed": False}
WON = {"stage": "closed_won", "is_won": True, "is_closed": True}
LOST = {"stage": "closed_lost", "is_won": False, "is_closed": True}


def _opportunities(connection: duckdb.DuckDBPyConnection) -> None:
    o2 = {"region": "INTL", "product_line": "AI", "owner_rep_id": "R4", "currency": "USD",
          "deal_type": "expansion"}  # fmt: skip
    insert_rows(
        connection,
        "opportunities",
        "2025-01",
        [_opportunity("O2", "A2", "2025-01-10 11:00", "2025-03-31", amount=1000, **OPEN, **o2)],
    )
    insert_rows(
        connection,
        "opportunities",
        "2025-02",
        [
            _opportunity("O1", "A1", "2025-02-01 11:00", "2025-04-30", amount=10000, **OPEN),
            _opportunity("O2", "A2", "2025-01-10 11:00", "2025-02-20", amount=1000, **WON, **o2),
        ],
    )
    partner = {"channel": "partner", "partner_id": "P1"}
    insert_rows(
        connection,
        "opportunities",
        "2025-03",
        [
            _opportunity("O1", "A1", "2025-02-01 11:00", "2025-03-15", amount=10000, **WON),
            _opportunity("O3", "A4", "2025-03-20 11:00", "2025-05-31", amount=5000, **OPEN,
                         **partner),
        ],
    )  # fmt: skip
    insert_rows(
        connection,
        "opportunities",
        "2025-04",
        [
            _opportunity("O3", "A4", "2025-03-20 11:00", "2025-04-25", amount=5000, **LOST,
                         **partner),
            _opportunity("O4", "A1", "2025-04-01 11:00", "2025-05-31", amount=8000, **OPEN,
                         deal_type="renewal", owner_rep_id="R2"),
        ],
    )  # fmt: skip
    insert_rows(
        connection,
        "opportunities",
        "2025-05",
        [
            _opportunity("O4", "A1", "2025-04-01 11:00", "2025-05-10", amount=8000, **WON,
                         deal_type="renewal", owner_rep_id="R2"),
            _opportunity("O5", "A5", "2025-05-05 11:00", "2025-08-31", amount=20000,
                         stage="proposal", is_won=False, is_closed=False),
        ],
    )  # fmt: skip
    insert_rows(
        connection,
        "opportunities",
        "2025-07",
        [_opportunity("O6", "A6", "2025-07-02 11:00", "2025-07-20", amount=3000, **WON)],
    )


def _activities(connection: duckdb.DuckDBPyConnection) -> None:
    def activity(activity_id: str, rep: str, kind: str, when: str, **link: str) -> dict:
        return {
            "activity_id": activity_id,
            "rep_id": rep,
            "activity_type": kind,
            "occurred_at": ts(when),
            **link,
        }

    insert_rows(
        connection,
        "activities",
        "2025-01",
        [activity("X1", "R1", "call", "2025-01-08", lead_id="L1")],
    )
    insert_rows(
        connection,
        "activities",
        "2025-02",
        [
            activity("X2", "R1", "demo", "2025-02-10", opportunity_id="O1"),
            activity("X3", "R1", "visit", "2025-02-12", opportunity_id="O1"),
            activity("X4", "R4", "email", "2025-02-01", opportunity_id="O2"),
        ],
    )
    insert_rows(
        connection, "activities", "2025-04", [activity("X5", "R2", "meeting", "2025-04-02")]
    )
    insert_rows(
        connection,
        "activities",
        "2025-05",
        [activity("X6", "R1", "call", "2025-05-06", opportunity_id="O5")],
    )
    insert_rows(
        connection,
        "activities",
        "2025-06",
        [activity("X7", "R1", "call", "2025-06-30", lead_id="L5")],
    )


def _orders_invoices_payments(connection: duckdb.DuckDBPyConnection) -> None:
    def line(order: str, no: int, date: str, account: str, sku: str, qty: int, net: float,
             **rest: object) -> dict:  # fmt: skip
        return {
            "order_id": order,
            "line_no": no,
            "order_date": day(date),
            "account_id": account,
            "product_sku": sku,
            "quantity": qty,
            "net_amount": net,
            "region": "EAST",
            **rest,
        }

    usd_intl = {"currency": "USD", "region": "INTL"}
    insert_rows(
        connection,
        "order_lines",
        "2025-02",
        [line("SO2", 1, "2025-02-25", "A2", "AI-1", 5, 990, opportunity_id="O2", **usd_intl)],
    )
    insert_rows(
        connection,
        "order_lines",
        "2025-03",
        [
            line("SO1", 1, "2025-03-20", "A1", "CL-1", 60, 6000, opportunity_id="O1"),
            line("SO1", 2, "2025-03-20", "A1", "CL-2", 78, 3900, opportunity_id="O1"),
        ],
    )
    insert_rows(
        connection,
        "order_lines",
        "2025-05",
        [line("SO5", 1, "2025-05-12", "A1", "CL-1", 80, 8000, opportunity_id="O4")],
    )
    insert_rows(
        connection,
        "order_lines",
        "2025-06",
        [
            line("SO3", 1, "2025-06-15", "A1", "CL-2", 10, 500),
            line("SO4", 1, "2025-06-20", "A3", "AI-1", 1, 300, **usd_intl),
        ],
    )
    insert_rows(
        connection,
        "invoices",
        "2025-03",
        [
            {"invoice_id": "I1", "order_id": "SO1", "invoice_date": day("2025-03-25"),
             "due_date": day("2025-04-24"), "amount": 9900},
            {"invoice_id": "I2", "order_id": "SO2", "invoice_date": day("2025-03-01"),
             "due_date": day("2025-03-31"), "amount": 990, "currency": "USD"},
        ],
    )  # fmt: skip
    insert_rows(
        connection,
        "invoices",
        "2025-05",
        [{"invoice_id": "I3", "order_id": "SO5", "invoice_date": day("2025-05-15"),
          "due_date": day("2025-06-14"), "amount": 8000}],
    )  # fmt: skip
    insert_rows(
        connection,
        "payments",
        "2025-04",
        [
            {"payment_id": "Y1", "invoice_id": "I1", "paid_at": day("2025-04-10"),
             "amount": 100.01},
            {"payment_id": "Y3", "invoice_id": "I2", "paid_at": day("2025-04-15"),
             "amount": 990, "currency": "USD"},
        ],
    )  # fmt: skip
    insert_rows(
        connection,
        "payments",
        "2025-06",
        [
            {"payment_id": "Y2", "invoice_id": "I1", "paid_at": day("2025-06-05"),
             "amount": 9799.99},
            {"payment_id": "Y4", "invoice_id": "I3", "paid_at": day("2025-06-20"),
             "amount": 8000},
        ],
    )  # fmt: skip
