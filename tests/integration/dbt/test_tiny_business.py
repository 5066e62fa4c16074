"""Exact funnel facts of the tiny business (tiny_business.py), worked out by hand.

The build is as of 2025-07 with a 2-month lead window, a 3-month opportunity window and a
6-month rate window (TINY_VARS).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from dbt_runs import query, run_results

D = Decimal


def rows(warehouse: Path, sql: str) -> list[tuple]:
    return query(warehouse, sql)


# --------------------------------------------------------------------------------- the build


def test_the_build_passes_every_data_test_and_unit_test(tiny_build_target: Path):
    statuses = run_results(tiny_build_target)

    assert statuses
    assert set(statuses.values()) <= {"success", "pass"}, {
        name: status for name, status in statuses.items() if status not in {"success", "pass"}
    }
    assert sum(name.startswith("stg_") for name in statuses) >= 12


# ------------------------------------------------------------------------------------ staging


def test_staging_keeps_the_latest_version_extracted_before_the_as_of_month(tiny_warehouse):
    # O1 was open in the 2025-02 extract and won in 2025-03; O6 only exists in 2025-07.
    assert rows(
        tiny_warehouse,
        "select opportunity_id, stage, close_date, extract_month"
        " from staging.stg_crm__opportunities order by 1",
    ) == [
        ("O1", "closed_won", dt.date(2025, 3, 15), dt.date(2025, 3, 1)),
        ("O2", "closed_won", dt.date(2025, 2, 20), dt.date(2025, 2, 1)),
        ("O3", "closed_lost", dt.date(2025, 4, 25), dt.date(2025, 4, 1)),
        ("O4", "closed_won", dt.date(2025, 5, 10), dt.date(2025, 5, 1)),
        ("O5", "proposal", dt.date(2025, 8, 31), dt.date(2025, 5, 1)),
    ]


def test_a_change_extracted_after_the_as_of_month_is_not_seen(tiny_warehouse):
    # L3 reached MQL in July (2025-07 extract); R2 became tier A in July.
    assert rows(
        tiny_warehouse, "select mql_at from staging.stg_crm__leads where lead_id = 'L3'"
    ) == [(None,)]
    assert rows(tiny_warehouse, "select tier from marts.dim_rep where rep_id = 'R2'") == [("B",)]


# -------------------------------------------------------------------------------------- fx


def test_months_without_a_published_rate_carry_the_previous_rate(tiny_warehouse):
    assert rows(
        tiny_warehouse,
        "select rate_month, rate_to_reporting_currency, is_carried_forward"
        " from intermediate.int_fx_rates_filled order by 1",
    ) == [
        (dt.date(2025, 1, 1), D("7.10"), False),
        (dt.date(2025, 2, 1), D("7.15"), False),
        (dt.date(2025, 3, 1), D("7.15"), True),
        (dt.date(2025, 4, 1), D("7.20"), False),
        (dt.date(2025, 5, 1), D("7.20"), True),
        (dt.date(2025, 6, 1), D("7.25"), False),
    ]


# --------------------------------------------------------------------------------- bookings


def test_bookings_are_order_lines_in_the_reporting_currency_by_order_month(tiny_warehouse):
    # SO2: 990 USD x 7.15 (February) = 7078.50; SO4: 300 USD x 7.25 (June) = 2175.00.
    # SO3 and SO4 have no opportunity: no rep, deal type inferred from the account's orders
    # (A1 ordered before: expansion; A3 never did: new).
    assert rows(
        tiny_warehouse,
        "select month, region, product_line, channel, deal_type, partner_id, rep_id,"
        " bookings_amount, order_count, order_line_count, quantity, new_customers"
        " from marts.fct_bookings_monthly order by month, region, deal_type",
    ) == [
        (dt.date(2025, 2, 1), "INTL", "AI", "direct", "expansion", None, "R4",
         D("7078.50"), 1, 1, 5, 1),
        (dt.date(2025, 3, 1), "EAST", "CLOUD", "direct", "new", None, "R1",
         D("9900.00"), 1, 2, 138, 1),
        (dt.date(2025, 5, 1), "EAST", "CLOUD", "direct", "renewal", None, "R2",
         D("8000.00"), 1, 1, 80, 0),
        (dt.date(2025, 6, 1), "EAST", "CLOUD", "direct", "expansion", None, None,
         D("500.00"), 1, 1, 10, 0),
        (dt.date(2025, 6, 1), "INTL", "AI", "direct", "new", None, None,
         D("2175.00"), 1, 1, 1, 1),
    ]  # fmt: skip


def test_reconciliation_compares_won_amounts_with_what_was_ordered_for_them(tiny_warehouse):
    # O1 won 10000, ordered 9900 (-1%); O2 won 1000 USD x 7.15 = 7150, ordered 7078.50 (-1%);
    # O4 won and ordered 8000.
    assert rows(
        tiny_warehouse,
        "select month, region, deal_type, won_amount, ordered_amount, difference_amount,"
        " round(relative_difference, 4), is_within_tolerance"
        " from marts.fct_bookings_reconciliation order by month",
    ) == [
        (dt.date(2025, 2, 1), "INTL", "expansion", D("7150.00"), D("7078.50"), D("-71.50"),
         -0.01, True),
        (dt.date(2025, 3, 1), "EAST", "new", D("10000.00"), D("9900.00"), D("-100.00"),
         -0.01, True),
        (dt.date(2025, 5, 1), "EAST", "renewal", D("8000.00"), D("8000.00"), D("0.00"),
         0.0, True),
    ]  # fmt: skip


# ------------------------------------------------------------------------------ collections


def test_payments_are_split_over_order_lines_exactly_to_the_fen(tiny_warehouse):
    # Y1 = 100.01 over lines of 6000 and 3900: floors 60.61 + 39.39, the spare fen goes to
    # the larger remainder (line 2). Y2 = 9799.99: floors 5939.38 + 3860.60, the spare fen
    # goes to line 1. Each line ends up paid in full: 6000.00 and 3900.00.
    assert rows(
        tiny_warehouse,
        "select payment_id, line_no, collected_amount from intermediate.int_payments_allocated"
        " where order_id = 'SO1' order by 1, 2",
    ) == [
        ("Y1", 1, D("60.61")),
        ("Y1", 2, D("39.40")),
        ("Y2", 1, D("5939.39")),
        ("Y2", 2, D("3860.60")),
    ]


def test_collections_and_invoices_land_in_their_months_and_segments(tiny_warehouse):
    # I2: 990 USD at March's carried rate 7.15; its payment Y3 at April's 7.20.
    assert rows(
        tiny_warehouse,
        "select month, region, deal_type, invoiced_amount, collected_amount, invoice_count,"
        " payment_count from marts.fct_collections_monthly order by month, region, deal_type",
    ) == [
        (dt.date(2025, 3, 1), "EAST", "new", D("9900.00"), D("0.00"), 1, 0),
        (dt.date(2025, 3, 1), "INTL", "expansion", D("7078.50"), D("0.00"), 1, 0),
        (dt.date(2025, 4, 1), "EAST", "new", D("0.00"), D("100.01"), 0, 1),
        (dt.date(2025, 4, 1), "INTL", "expansion", D("0.00"), D("7128.00"), 0, 1),
        (dt.date(2025, 5, 1), "EAST", "renewal", D("8000.00"), D("0.00"), 1, 0),
        (dt.date(2025, 6, 1), "EAST", "new", D("0.00"), D("9799.99"), 0, 1),
        (dt.date(2025, 6, 1), "EAST", "renewal", D("0.00"), D("8000.00"), 0, 1),
    ]


def test_receivables_and_dso_follow_invoices_and_payments(tiny_warehouse):
    # Company: invoiced 16978.50 in March, 8000 in May; collected 7228.01 in April and
    # 17799.99 in June. June: receivables 24978.50 - 25028.00 = -49.50 (I2 was invoiced at
    # 7.15 and paid at 7.20), invoiced April-June 8000 over 91 days.
    company = rows(
        tiny_warehouse,
        "select month, invoiced_amount, collected_amount, receivables_amount, dso_days"
        " from marts.fct_receivables_monthly where level = 'company' order by month",
    )

    assert [row[:4] for row in company] == [
        (dt.date(2025, 3, 1), D("16978.50"), D("0.00"), D("16978.50")),
        (dt.date(2025, 4, 1), D("0.00"), D("7228.01"), D("9750.49")),
        (dt.date(2025, 5, 1), D("8000.00"), D("0.00"), D("17750.49")),
        (dt.date(2025, 6, 1), D("0.00"), D("17799.99"), D("-49.50")),
    ]
    assert company[0][4] is None  # DSO needs three months of invoices
    assert company[1][4] is None
    assert company[2][4] == pytest.approx(17750.49 / 24978.50 * (31 + 30 + 31))
    assert company[3][4] == pytest.approx(-49.50 / 8000.00 * (30 + 31 + 30))


def test_collection_delays_count_days_from_invoice_to_payment(tiny_warehouse):
    # Delays, one per payment and order line: Y1 16, 16; Y2 72, 72; Y3 45; Y4 36 days, so
    # [16, 16, 36, 45, 72, 72]: p25 16 + 0.25 x 20 = 21, p50 40.5, p75 45 + 0.75 x 27 = 65.25.
    # Y2 (due 04-24), Y3 (due 03-31) and Y4 (due 06-14) came late: 24927.99 of 25028.00.
    [(n, p25, p50, p75, p90, late_share)] = rows(
        tiny_warehouse,
        "select n_payments, delay_days_p25, delay_days_p50, delay_days_p75, delay_days_p90,"
        " late_share from marts.fct_collection_delays"
        " where level = 'company' and deal_type is null",
    )

    assert (n, p25, p50, p75, p90) == (4, 21.0, 40.5, 65.25, 72.0)
    assert late_share == pytest.approx(24927.99 / 25028.00)


# ----------------------------------------------------------------------------- funnel facts


def test_funnel_months_count_each_step_in_the_month_it_happened(tiny_warehouse):
    direct_r1 = rows(
        tiny_warehouse,
        "select month, leads, mqls, sqls, opportunities_created, opportunities_won,"
        " won_amount, activities_call, activities_demo, activities_visit"
        " from marts.fct_funnel_monthly where region = 'EAST' and channel = 'direct'"
        " and deal_type = 'new' and rep_id = 'R1' order by month",
    )

    assert direct_r1 == [
        # L1, L3 created; L1 MQL and SQL; call X1.
        (dt.date(2025, 1, 1), 2, 1, 1, 0, 0, D("0.00"), 1, 0, 0),
        # L4 created (event) and MQL; O1 created; demo X2, visit X3.
        (dt.date(2025, 2, 1), 1, 1, 0, 1, 0, D("0.00"), 0, 1, 1),
        # L4 SQL; O1 won 10000.
        (dt.date(2025, 3, 1), 0, 0, 1, 0, 1, D("10000.00"), 0, 0, 0),
        # L5 created and MQL.
        (dt.date(2025, 4, 1), 1, 1, 0, 0, 0, D("0.00"), 0, 0, 0),
        # L6 created; O5 created; call X6.
        (dt.date(2025, 5, 1), 1, 0, 0, 1, 0, D("0.00"), 1, 0, 0),
        # L6 MQL, L5 SQL; call X7.
        (dt.date(2025, 6, 1), 0, 1, 1, 0, 0, D("0.00"), 1, 0, 0),
    ]


def test_funnel_totals_match_the_business(tiny_warehouse):
    # 7 leads; MQLs of L1, L2, L4, L5, L6 (L3's comes after the as-of month); SQLs of L1, L4,
    # L5; opportunities O1-O5 (O6 is later); O1, O2, O4 won (10000 + 7150 + 8000); O3 lost.
    assert rows(
        tiny_warehouse,
        "select sum(leads), sum(mqls), sum(sqls), sum(opportunities_created),"
        " sum(opportunities_won), sum(opportunities_lost), sum(won_amount),"
        " sum(activities_meeting) from marts.fct_funnel_monthly",
    ) == [(7, 5, 3, 5, 3, 1, D("25150.00"), 1)]


def test_partner_leads_and_deals_sit_in_the_partner_channel(tiny_warehouse):
    assert rows(
        tiny_warehouse,
        "select month, partner_id, leads, mqls, opportunities_created, opportunities_lost"
        " from marts.fct_funnel_monthly where channel = 'partner' order by month, partner_id",
    ) == [
        (dt.date(2025, 1, 1), None, 1, 1, 0, 0),
        (dt.date(2025, 3, 1), "P1", 0, 0, 1, 0),
        (dt.date(2025, 4, 1), "P1", 0, 0, 0, 1),
    ]


def test_an_activity_linked_to_nothing_keeps_the_rep_and_region_only(tiny_warehouse):
    assert rows(
        tiny_warehouse,
        "select month, region, product_line, channel, deal_type, rep_id, activities_meeting"
        " from marts.fct_funnel_monthly where activities_meeting > 0",
    ) == [(dt.date(2025, 4, 1), "EAST", None, None, None, "R2", 1)]


# ------------------------------------------------------------------------------ funnel rates


def _rates(warehouse: Path, where: str, columns: str) -> list[tuple]:
    return rows(warehouse, f"select {columns} from marts.fct_funnel_rates where {where}")


def test_lead_cohorts_count_conversions_inside_each_cohorts_window(tiny_warehouse):
    # Mature cohorts (2-month windows ending by July): January (L1-L3), February (L4),
    # April (L5), May (L6); June (L7) is too young. MQL within the window: L1, L2, L4, L5, L6;
    # SQL: L1, L4 (L5's SQL came in June, after its April-May window); both converted.
    assert _rates(
        tiny_warehouse,
        "level = 'company' and deal_type is null",
        "n_leads, n_mqls, n_sqls, n_lead_opportunities,"
        " lead_to_mql_rate, mql_to_sql_rate, sql_to_opportunity_rate",
    ) == [(6, 5, 2, 2, 5 / 6, 0.4, 1.0)]


def test_a_segments_lead_rates_use_only_its_own_leads(tiny_warehouse):
    # EAST x CLOUD x direct: L1, L3, L4, L5, L6 (L2 came from a partner).
    assert _rates(
        tiny_warehouse,
        "level = 'segment' and region = 'EAST' and product_line = 'CLOUD'"
        " and channel = 'direct' and deal_type is null",
        "n_leads, n_mqls, n_sqls, lead_to_mql_rate, mql_to_sql_rate",
    ) == [(5, 4, 2, 0.8, 0.5)]


def test_win_rate_and_deal_size_come_from_mature_opportunity_cohorts(tiny_warehouse):
    # Mature cohorts (3-month windows ending by July): January (O2 won), February (O1 won),
    # March (O3 lost), April (O4 won); May (O5) is too young.
    assert _rates(
        tiny_warehouse,
        "level = 'company' and deal_type is null",
        "n_opportunities_closed, n_won, won_amount, win_rate, avg_won_amount",
    ) == [(4, 3, D("25150.00"), 0.75, D("8383.33"))]
    assert _rates(
        tiny_warehouse,
        "level = 'company' and deal_type = 'new'",
        "n_opportunities_closed, n_won, win_rate, avg_won_amount",
    ) == [(2, 1, 0.5, D("10000.00"))]


def test_cycle_quantiles_and_step_lags_use_steps_completed_in_the_window(tiny_warehouse):
    # Won deals closed January-June: O2 41 days, O1 42, O4 39 -> p25 40, p50 41, p75 41.5,
    # p90 41.8. Lags: lead->MQL 5, 9, 1, 2, 13 days (median 5); MQL->SQL 10, 34, 54 (34);
    # SQL->opportunity 12, 10 (11).
    assert _rates(
        tiny_warehouse,
        "level = 'company' and deal_type is null",
        "n_cycle_deals, cycle_days_p25, cycle_days_p50, cycle_days_p75, cycle_days_p90,"
        " lead_to_mql_days, mql_to_sql_days, sql_to_opportunity_days",
    ) == [(3, 40.0, 41.0, 41.5, 41.8, 5.0, 34.0, 11.0)]


def test_activities_per_opportunity_and_per_won_deal_are_effort_ratios(tiny_warehouse):
    # January-June: calls X1, X6, X7; 5 opportunities created (O1-O5) and 3 deals won.
    [(calls_per_opportunity, calls_per_won, meetings_per_opportunity)] = _rates(
        tiny_warehouse,
        "level = 'company' and deal_type is null",
        "calls_per_opportunity, calls_per_won, meetings_per_opportunity",
    )

    assert calls_per_opportunity == pytest.approx(3 / 5)
    assert calls_per_won == pytest.approx(3 / 3)
    assert meetings_per_opportunity == pytest.approx(1 / 5)


def test_the_unlinked_activity_counts_for_its_region_but_no_product_line(tiny_warehouse):
    meetings = rows(
        tiny_warehouse,
        "select level, meetings_per_opportunity from marts.fct_funnel_rates"
        " where deal_type is null and region = 'EAST' and rep_id is null order by level",
    )

    assert dict(meetings)["region"] == pytest.approx(1 / 4)
    assert dict(meetings)["region_product_line"] == 0.0


def test_rep_level_rates_exist_for_every_rep_with_funnel_data(tiny_warehouse):
    assert rows(
        tiny_warehouse,
        "select distinct rep_id from marts.fct_funnel_rates where level = 'rep' order by 1",
    ) == [("R1",), ("R2",), ("R4",)]


# ---------------------------------------------------------------------------- dimensions


def test_rep_tenure_and_activity_are_measured_at_the_as_of_month(tiny_warehouse):
    assert rows(
        tiny_warehouse,
        "select rep_id, tenure_months, active_months, is_active from marts.dim_rep order by 1",
    ) == [
        ("M1", 66, 66, True),
        ("R1", 18, 18, True),  # hired 2024-01: January 2024 to June 2025
        ("R2", 4, 4, True),  # hired 2025-03-15: March to June
        ("R3", 21, 22, False),  # May 2023 to February 2025, left on 2025-02-20
        ("R4", 13, 13, True),
    ]


def test_a_product_shows_its_latest_lifecycle_stage(tiny_warehouse):
    assert rows(
        tiny_warehouse,
        "select product_sku, lifecycle_stage from marts.dim_product order by 1",
    ) == [("AI-1", "growth"), ("CL-1", "mature"), ("CL-2", "mature")]


def test_every_mart_row_carries_the_as_of_month(tiny_warehouse):
    marts = [
        name
        for (name,) in rows(
            tiny_warehouse,
            "select table_name from information_schema.tables where table_schema = 'marts'",
        )
    ]

    assert len(marts) == 12
    for mart in marts:
        assert rows(tiny_warehouse, f"select distinct as_of_month from marts.{mart}") == [
            (dt.date(2025, 7, 1),)
        ], mart
