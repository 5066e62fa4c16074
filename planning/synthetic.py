"""A small, seeded synthetic business in the shape of the planning inputs.

Tests, examples and the benchmark need realistic inputs without the dbt marts: this module
builds them directly, deterministically from a seed. Bookings follow a Q4-peaked seasonal
profile with a Spring Festival dip, grow by region, and are spread over reps (with a hire and a
leaver) and partners; forecasts are the same profile continued with lognormal noise, with sample
paths; funnel rates differ by region. Sizes are parameters, so the benchmark can build inputs of
the ``default`` and ``large`` demo sizes (about 8 regions x 6 product lines x 120 reps x 40
partners, and ten times the reps and partners).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from planning.inputs import PlanInputs
from salesplan.months import add_months, months_between, parse_month
from salesplan.spring_festival import slowdown_share

REGIONS = ("EAST", "SOUTH", "NORTH", "CENTRAL", "SOUTHWEST", "NORTHWEST", "NORTHEAST", "INTL")
PRODUCT_LINES = ("CLOUD", "ANALYTICS", "AI", "SECURITY", "ERP", "LEGACY")
# Share of a year's bookings per calendar month before the Spring Festival dip: Q4 peak.
SEASON = np.array([0.06, 0.06, 0.08, 0.075, 0.08, 0.09, 0.07, 0.07, 0.085, 0.08, 0.095, 0.155])


def synthetic_inputs(
    *,
    seed: int = 7,
    regions: int = 3,
    product_lines: int = 2,
    reps_per_region: int = 3,
    partners_per_region: int = 2,
    history_start: str = "2023-01",
    as_of: str = "2026-07",
    fiscal_year: int = 2026,
    annual_growth: float = 0.15,
    n_paths: int = 200,
    with_forecast: bool = True,
) -> PlanInputs:
    """Return seeded planning inputs with history from ``history_start`` to ``as_of - 1``.

    The company's annual ``bookings`` target for ``fiscal_year`` (calendar fiscal years) is the
    previous year's bookings times ``1 + annual_growth``; a ``collections`` target is 95% of it
    and a ``new_customers`` target 110% of last year's count.
    """
    rng = np.random.default_rng(seed)
    region_codes = (
        list(REGIONS[:regions])
        if regions <= len(REGIONS)
        else [f"R{index:02d}" for index in range(regions)]
    )
    lines = (
        list(PRODUCT_LINES[:product_lines])
        if product_lines <= len(PRODUCT_LINES)
        else [f"P{index:02d}" for index in range(product_lines)]
    )
    first = parse_month(history_start)
    as_of_month = parse_month(as_of)
    history = list(months_between(first, add_months(as_of_month, -1)))
    # Forecasts cover the whole fiscal year and beyond: the planner only reads open months.
    future = [add_months(dt.date(fiscal_year, 1, 1), k) for k in range(24)]

    reps = []
    rep_id = 0
    for r, region in enumerate(region_codes):
        for k in range(reps_per_region):
            rep_id += 1
            hire = dt.date(2019 + (k % 3), 1 + (r + k) % 12, 1)
            end = None
            if k == reps_per_region - 1 and reps_per_region > 2:
                hire = dt.date(fiscal_year, 3, 15)  # a new hire, ramping during the year
            if k == 1 and reps_per_region > 3:
                end = dt.date(fiscal_year, 5, 20)  # a leaver, mid-year
            reps.append(
                {
                    "rep_id": f"R{rep_id:04d}",
                    "name": f"Rep {rep_id}",
                    "region": region,
                    "team": f"{region}-T{k % 2 + 1}",
                    "manager_id": None,
                    "tier": "ABCD"[(rep_id * 7) % 4],
                    "role": "rep",
                    "hire_date": hire,
                    "end_date": end,
                }
            )
    partners = []
    partner_id = 0
    for region in region_codes:
        for k in range(partners_per_region):
            partner_id += 1
            partners.append(
                {
                    "partner_id": f"P{partner_id:04d}",
                    "name": f"Partner {partner_id}",
                    "region": region,
                    "tier": ("gold", "silver", "bronze")[(partner_id + k) % 3],
                }
            )
    reps_frame = pd.DataFrame(reps)
    partners_frame = pd.DataFrame(partners)

    region_size = {region: 1.0 + 0.6 * rng.random() for region in region_codes}
    region_growth = {region: 0.05 + 0.2 * rng.random() for region in region_codes}
    line_mix = rng.dirichlet(np.full(len(lines), 3.0))

    def level(month: dt.date, region: str) -> float:
        years = (month.year - first.year) + (month.month - 1) / 12
        base = SEASON[month.month - 1] * (1 - 0.5 * slowdown_share(month.year, month.month))
        return 1.2e7 * region_size[region] * base * (1 + region_growth[region]) ** years

    rows = []
    collections = []
    for month in history:
        for region in region_codes:
            region_reps = [
                rep
                for rep in reps
                if rep["region"] == region
                and rep["hire_date"] <= month
                and (rep["end_date"] is None or rep["end_date"] >= month)
            ]
            region_partners = [p for p in partners if p["region"] == region]
            for p, line in enumerate(lines):
                amount = level(month, region) * line_mix[p] * rng.lognormal(0.0, 0.15)
                direct = amount * 0.7
                partner_amount = amount - direct
                for deal_type, share in (("new", 0.5), ("expansion", 0.3), ("renewal", 0.2)):
                    for rep in region_reps:
                        value = direct * share / max(len(region_reps), 1) * rng.lognormal(0, 0.3)
                        rows.append(
                            _booking(
                                month,
                                region,
                                line,
                                "direct",
                                deal_type,
                                None,
                                rep["rep_id"],
                                value,
                                rng,
                            )
                        )
                    if not region_reps:
                        rows.append(
                            _booking(
                                month,
                                region,
                                line,
                                "direct",
                                deal_type,
                                None,
                                None,
                                direct * share,
                                rng,
                            )
                        )
                    for partner in region_partners:
                        value = (
                            partner_amount * share / len(region_partners) * rng.lognormal(0, 0.3)
                        )
                        rows.append(
                            _booking(
                                month,
                                region,
                                line,
                                "partner",
                                deal_type,
                                partner["partner_id"],
                                None,
                                value,
                                rng,
                            )
                        )
                for channel, share in (("direct", 0.7), ("partner", 0.3)):
                    collections.append(
                        {
                            "month": month,
                            "region": region,
                            "product_line": line,
                            "channel": channel,
                            "deal_type": "new",
                            "partner_id": region_partners[0]["partner_id"]
                            if channel == "partner" and region_partners
                            else None,
                            "collected_amount": round(
                                amount * share * 0.93 * rng.lognormal(0, 0.1), 2
                            ),
                            "invoiced_amount": round(amount * share, 2),
                            "payment_count": 3,
                        }
                    )
    bookings = pd.DataFrame(rows)
    collections_frame = pd.DataFrame(collections)

    calendar_last_year = [dt.date(fiscal_year - 1, m, 1) for m in range(1, 13)]
    last_year = bookings[bookings["month"].isin(calendar_last_year)]
    bookings_target = round(float(last_year["bookings_amount"].sum()) * (1 + annual_growth), 2)
    collected_last_year = collections_frame[collections_frame["month"].isin(calendar_last_year)]
    customers_last_year = int(last_year["new_customers"].sum())
    annual_targets = pd.DataFrame(
        [
            {
                "fiscal_year": fiscal_year,
                "metric": "bookings",
                "scope": "company",
                "amount": bookings_target,
                "floor_pct": 0.9,
                "stretch_pct": 1.15,
            },
            {
                "fiscal_year": fiscal_year,
                "metric": "collections",
                "scope": "company",
                "amount": round(float(collected_last_year["collected_amount"].sum()) * 1.1, 2),
                "floor_pct": 0.9,
                "stretch_pct": 1.1,
            },
            {
                "fiscal_year": fiscal_year,
                "metric": "new_customers",
                "scope": "company",
                "amount": float(round(customers_last_year * 1.1)),
                "floor_pct": 0.85,
                "stretch_pct": 1.2,
            },
        ]
    )

    forecasts = None
    paths = None
    if with_forecast:
        forecast_rows = []
        path_rows = []
        for metric, frame, column in (
            ("bookings", bookings, "bookings_amount"),
            ("collections", collections_frame, "collected_amount"),
        ):
            recent = frame[frame["month"] >= add_months(as_of_month, -12)]
            yearly = recent.groupby(["region", "product_line", "channel"])[column].sum()
            for (region, line, channel), total in yearly.items():
                for month in future:
                    yhat = total * SEASON[month.month - 1] * (1 + 0.5 * rng.standard_normal() * 0.1)
                    yhat = max(yhat, 0.0)
                    forecast_rows.append(
                        {
                            "metric": metric,
                            "region": region,
                            "product_line": line,
                            "channel": channel,
                            "month": month,
                            "yhat": round(yhat, 2),
                        }
                    )
                    draws = yhat * rng.lognormal(-0.02, 0.2, size=n_paths)
                    path_rows.append(
                        pd.DataFrame(
                            {
                                "metric": metric,
                                "region": region,
                                "product_line": line,
                                "channel": channel,
                                "month": month,
                                "path": np.arange(n_paths),
                                "y": np.round(draws, 2),
                            }
                        )
                    )
        forecasts = pd.DataFrame(forecast_rows)
        paths = pd.concat(path_rows, ignore_index=True)

    rate_rows = [_rates("company", None, None, None, None, 1.0, 10_000)]
    for r, region in enumerate(region_codes):
        rate_rows.append(_rates("region", region, None, None, None, 0.8 + 0.1 * r, 2_000))
        for line in lines:
            rate_rows.append(
                _rates("region_product_line", region, line, None, None, 0.9 + 0.05 * r, 300)
            )
            for channel in ("direct", "partner"):
                rate_rows.append(_rates("segment", region, line, channel, None, 1.0, 120))
    for k, rep in enumerate(reps):
        rate_rows.append(
            _rates("rep", None, None, None, rep["rep_id"], 0.7 + 0.1 * (k % 5), 8 + k % 30)
        )
    funnel_rates = pd.DataFrame(rate_rows)
    potentials = pd.DataFrame(
        [
            {"dimension": "region", "value": region, "potential": 1e9 * region_size[region]}
            for region in region_codes
        ]
    )
    return PlanInputs(
        annual_targets=annual_targets,
        bookings=bookings,
        reps=reps_frame,
        partners=partners_frame,
        collections=collections_frame,
        forecasts=forecasts,
        forecast_paths=paths,
        funnel_rates=funnel_rates,
        adjustments=None,
        potentials=potentials,
    )


def _booking(
    month: dt.date,
    region: str,
    line: str,
    channel: str,
    deal_type: str,
    partner_id: str | None,
    rep_id: str | None,
    value: float,
    rng: np.random.Generator,
) -> dict[str, object]:
    return {
        "month": month,
        "region": region,
        "product_line": line,
        "channel": channel,
        "deal_type": deal_type,
        "partner_id": partner_id,
        "rep_id": rep_id,
        "bookings_amount": round(value, 2),
        "order_count": 1 + int(value // 200_000),
        "new_customers": int(rng.poisson(max(value, 0) / 400_000)) if deal_type == "new" else 0,
    }


def _rates(
    level: str,
    region: str | None,
    product_line: str | None,
    channel: str | None,
    rep_id: str | None,
    factor: float,
    sample: int,
) -> dict[str, object]:
    win = min(0.25 * factor, 0.9)
    return {
        "level": level,
        "region": region,
        "product_line": product_line,
        "channel": channel,
        "deal_type": None,
        "rep_id": rep_id,
        "lead_to_mql_rate": min(0.3 * factor, 0.95),
        "mql_to_sql_rate": min(0.4 * factor, 0.95),
        "sql_to_opportunity_rate": min(0.5 * factor, 0.95),
        "win_rate": win,
        "avg_won_amount": 150_000 * factor,
        "n_leads": sample * 20,
        "n_mqls": sample * 6,
        "n_sqls": sample * 3,
        "n_opportunities_closed": sample,
        "n_won": int(sample * win),
        "lead_to_mql_days": 10.0,
        "mql_to_sql_days": 12.0,
        "sql_to_opportunity_days": 8.0,
        "cycle_days_p25": 35.0 * factor,
        "cycle_days_p50": 60.0 * factor,
        "cycle_days_p75": 95.0 * factor,
        "cycle_days_p90": 140.0 * factor,
        "calls_per_opportunity": 12.0 * factor,
        "visits_per_opportunity": 3.0,
        "demos_per_opportunity": 1.5,
        "emails_per_opportunity": 20.0,
        "meetings_per_opportunity": 4.0,
    }
