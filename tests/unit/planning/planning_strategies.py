"""Hypothesis strategies: random small businesses, configurations and locks for the planner."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from planning.config import parse_config
from planning.inputs import PlanInputs
from salesplan.months import add_months

METHODS_ABOVE_SELLERS = ("history", "prior_year", "forecast", "potential", "even")
SELLER_METHODS = ("history", "prior_year", "capacity", "even")


@st.composite
def configs(draw):
    """A planning config with one money stream and random methods per level."""
    start_month = draw(st.integers(1, 12))
    hierarchy = draw(st.permutations(["region", "product_line", "channel"]))
    leaves = draw(
        st.sampled_from(
            [{"direct": "rep_id", "partner": "partner_id"}, {"partner": "partner_id"}, {}]
        )
    )
    levels = {}
    for level in hierarchy:
        choices = [m for m in METHODS_ABOVE_SELLERS if not (level == "channel" and m == "capacity")]
        levels[level] = {
            "method": draw(st.sampled_from(choices)),
            "months": draw(st.integers(1, 24)),
        }
    for seller in leaves.values():
        levels[seller] = {"method": draw(st.sampled_from(SELLER_METHODS))}
    raw = {
        "fiscal_year": {"start_month": start_month},
        "hierarchy": list(hierarchy),
        "streams": {
            "bookings": {
                "measure": "bookings_amount",
                "required": True,
                "leaves": leaves,
                "time": {
                    "method": draw(
                        st.sampled_from(["seasonal_history", "forecast", "working_days", "even"])
                    )
                },
                "levels": levels,
                "forecast_metric": "bookings",
            }
        },
    }
    return parse_config(raw, source="random.yml")


@st.composite
def businesses(draw, config):
    """Random reps, partners, bookings history, forecast and targets for ``config``."""
    regions = draw(
        st.lists(st.sampled_from(["EAST", "SOUTH", "NORTH"]), min_size=1, max_size=3, unique=True)
    )
    lines = draw(st.lists(st.sampled_from(["CLOUD", "AI"]), min_size=1, max_size=2, unique=True))
    fiscal_year = 2026
    start = config.fiscal_start_month
    first = dt.date(fiscal_year - 1, start, 1) if start > 1 else dt.date(fiscal_year, 1, 1)
    months = [add_months(first, k) for k in range(12)]
    as_of = months[draw(st.integers(0, 11))]
    history = [add_months(months[0], -k) for k in range(24, 0, -1)] + [
        m for m in months if m < as_of
    ]

    reps = []
    for region in regions:
        for k in range(draw(st.integers(0, 3))):
            hire = add_months(months[0], draw(st.integers(-30, 10)))
            end = add_months(hire, draw(st.integers(1, 40))) if draw(st.booleans()) else None
            reps.append(
                {
                    "rep_id": f"R{region[:2]}{k}",
                    "region": region,
                    "tier": draw(st.sampled_from("ABCD")),
                    "role": "rep",
                    "hire_date": hire,
                    "end_date": None
                    if end is None
                    else end - dt.timedelta(days=draw(st.integers(1, 20))),
                }
            )
    partners = [
        {
            "partner_id": f"P{region[:2]}{k}",
            "region": region,
            "tier": draw(st.sampled_from(["gold", "silver", "bronze"])),
        }
        for region in regions
        for k in range(draw(st.integers(0, 2)))
    ]
    # Amounts come from a seeded generator: one draw instead of hundreds keeps examples fast.
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.0, 1.0, 1e3, 5e5]))

    def amount() -> float:
        return 0.0 if rng.random() < 0.2 else round(float(rng.random()) * scale, 2)

    rows = []
    for month in history:
        for region in regions:
            for line in lines:
                sellers = (
                    [("direct", r["rep_id"], None) for r in reps if r["region"] == region]
                    + [
                        ("partner", None, p["partner_id"])
                        for p in partners
                        if p["region"] == region
                    ]
                    + [("direct", None, None)]
                )
                for channel, rep_id, partner_id in sellers:
                    if rng.random() < 0.25:
                        continue
                    rows.append(
                        {
                            "month": month,
                            "region": region,
                            "product_line": line,
                            "channel": channel,
                            "deal_type": "new",
                            "partner_id": partner_id,
                            "rep_id": rep_id,
                            "bookings_amount": amount(),
                        }
                    )
    # one recent sale, so the product lines are known
    rows.append(
        {
            "month": history[-1],
            "region": regions[0],
            "product_line": lines[0],
            "channel": "direct",
            "deal_type": "new",
            "partner_id": None,
            "rep_id": None,
            "bookings_amount": 1.0,
        }
    )
    bookings = pd.DataFrame(
        rows,
        columns=[
            "month",
            "region",
            "product_line",
            "channel",
            "deal_type",
            "partner_id",
            "rep_id",
            "bookings_amount",
        ],
    )
    forecast_rows = (
        [
            {
                "metric": "bookings",
                "region": region,
                "product_line": line,
                "channel": channel,
                "month": month,
                "yhat": amount(),
            }
            for region in regions
            for line in lines
            for channel in ("direct", "partner")
            for month in months
            if month >= as_of
        ]
        if draw(st.booleans())
        else []
    )
    targets = [
        {
            "fiscal_year": fiscal_year,
            "metric": "bookings",
            "scope": "company",
            "amount": draw(st.floats(0, 5e7).map(lambda x: round(x, 2))),
        }
    ]
    if draw(st.booleans()):
        # an official target for one node of the first level, e.g. region=EAST
        dimension = config.hierarchy[0]
        value = {"region": regions[0], "product_line": lines[0], "channel": "direct"}[dimension]
        targets.append(
            {
                "fiscal_year": fiscal_year,
                "metric": "bookings",
                "scope": f"{dimension}={value}",
                "amount": draw(st.floats(0, 2e7).map(lambda x: round(x, 2))),
            }
        )
    return (
        PlanInputs(
            annual_targets=pd.DataFrame(targets),
            bookings=bookings,
            reps=pd.DataFrame(
                reps, columns=["rep_id", "region", "tier", "role", "hire_date", "end_date"]
            ),
            partners=pd.DataFrame(partners, columns=["partner_id", "region", "tier"]),
            forecasts=pd.DataFrame(forecast_rows) if forecast_rows else None,
            potentials=pd.DataFrame(
                [
                    {"dimension": "region", "value": region, "potential": draw(st.floats(0, 1e9))}
                    for region in regions
                ]
            ),
        ),
        as_of,
        months,
    )
