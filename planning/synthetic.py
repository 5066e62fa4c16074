"""A seeded synthetic business in the shape of the planning inputs (for tests and benchmarks).

Tests, examples and the benchmark need realistic inputs without the dbt marts: this module
builds them directly and deterministically from a seed, vectorized so that it reaches the demo's
``large`` size (8 regions x 6 product lines, 1,200 reps, 400 partners) in seconds.

The business: bookings follow a Q4-peaked seasonal profile with a Spring Festival dip, grow at
a different rate per region and are split 70/30 between direct reps and partners and 50/30/20
over new, expansion and renewal deals; each rep or partner gets a lognormal share of its
region's month. Reps are hired over the years; per region one rep joins in March of the plan
year (ramping) and one leaves in May. Collections are 93% of bookings with noise. Forecasts
continue each segment's last twelve months along the seasonal profile, with lognormal sample
paths; funnel rates differ by region and by rep. Targets are last year's actuals plus growth.
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
DEAL_TYPE_SHARES = (("new", 0.5), ("expansion", 0.3), ("renewal", 0.2))
DIRECT_SHARE = 0.7


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
    all_metrics: bool = False,
    region_targets: bool = False,
) -> PlanInputs:
    """Return seeded planning inputs with history from ``history_start`` to ``as_of - 1``.

    The company's annual ``bookings`` target for ``fiscal_year`` (calendar fiscal years) is the
    previous year's bookings times ``1 + annual_growth``; the ``collections`` target is 110% of
    last year's collections and ``new_customers`` 110% of last year's count. Forecasts cover the
    fiscal year and the next one. ``all_metrics`` adds the new, expansion and renewal bookings
    targets, and ``region_targets`` a target per region for every metric (last year's region
    actual plus growth, so they do not add up to the company's), as the demo's finance team sets
    them.
    """
    rng = np.random.default_rng(seed)
    region_codes = _names(REGIONS, regions, "R")
    lines = _names(PRODUCT_LINES, product_lines, "P")
    first = parse_month(history_start)
    as_of_month = parse_month(as_of)
    history = list(months_between(first, add_months(as_of_month, -1)))

    reps = _reps(region_codes, reps_per_region, fiscal_year)
    partners = pd.DataFrame(
        [
            {
                "partner_id": f"P{r * partners_per_region + k + 1:04d}",
                "name": f"Partner {r * partners_per_region + k + 1}",
                "region": region,
                "tier": ("gold", "silver", "bronze")[(r + 2 * k) % 3],
            }
            for r, region in enumerate(region_codes)
            for k in range(partners_per_region)
        ],
        columns=["partner_id", "name", "region", "tier"],
    )
    region_size = dict(zip(region_codes, 1.0 + 0.6 * rng.random(len(region_codes)), strict=True))
    region_growth = dict(zip(region_codes, 0.05 + 0.2 * rng.random(len(region_codes)), strict=True))
    line_mix = rng.dirichlet(np.full(len(lines), 3.0))

    # The region's monthly bookings level: size x season x Spring Festival x growth.
    month_index = np.arange(len(history))
    season = np.array(
        [SEASON[m.month - 1] * (1 - 0.5 * slowdown_share(m.year, m.month)) for m in history]
    )
    years = month_index / 12
    level = {
        region: 1.2e7 * region_size[region] * season * (1 + region_growth[region]) ** years
        for region in region_codes
    }
    bookings = _bookings(history, level, lines, line_mix, reps, partners, rng)
    collections = _collections(bookings, rng)

    last_year = bookings["month"].map(lambda m: m.year == fiscal_year - 1)
    last_year_collections = collections["month"].map(lambda m: m.year == fiscal_year - 1)
    annual_targets = pd.DataFrame(
        [
            _target(
                fiscal_year,
                "bookings",
                bookings.loc[last_year, "bookings_amount"].sum() * (1 + annual_growth),
                0.9,
                1.15,
            ),
            _target(
                fiscal_year,
                "collections",
                collections.loc[last_year_collections, "collected_amount"].sum() * 1.1,
                0.9,
                1.1,
            ),
            _target(
                fiscal_year,
                "new_customers",
                float(round(bookings.loc[last_year, "new_customers"].sum() * 1.1)),
                0.85,
                1.2,
            ),
        ]
    )
    if all_metrics:
        for deal_type, _ in DEAL_TYPE_SHARES:
            rows = last_year & (bookings["deal_type"] == deal_type)
            amount = bookings.loc[rows, "bookings_amount"].sum() * (1 + annual_growth)
            annual_targets.loc[len(annual_targets)] = _target(
                fiscal_year, f"{deal_type}_bookings", amount, 0.9, 1.15
            )
    if region_targets:
        annual_targets = pd.concat(
            [
                annual_targets,
                _region_targets(
                    annual_targets,
                    bookings,
                    collections,
                    last_year,
                    last_year_collections,
                    region_growth,
                ),
            ],
            ignore_index=True,
        )
    forecasts, paths = (None, None)
    if with_forecast:
        forecasts, paths = _forecasts(bookings, collections, as_of_month, fiscal_year, n_paths, rng)
    return PlanInputs(
        annual_targets=annual_targets,
        bookings=bookings,
        reps=reps,
        partners=partners,
        collections=collections,
        forecasts=forecasts,
        forecast_paths=paths,
        funnel_rates=_funnel_rates(region_codes, lines, reps),
        adjustments=None,
        potentials=pd.DataFrame(
            {
                "dimension": "region",
                "value": region_codes,
                "potential": [1e9 * region_size[region] for region in region_codes],
            }
        ),
    )


def _names(catalog: tuple[str, ...], count: int, prefix: str) -> list[str]:
    if count <= len(catalog):
        return list(catalog[:count])
    return [f"{prefix}{index:02d}" for index in range(count)]


def _reps(region_codes: list[str], per_region: int, fiscal_year: int) -> pd.DataFrame:
    rows = []
    for r, region in enumerate(region_codes):
        for k in range(per_region):
            number = r * per_region + k + 1
            hire = dt.date(2019 + (k % 3), 1 + (r + k) % 12, 1)
            end = None
            if k == per_region - 1 and per_region > 2:
                hire = dt.date(fiscal_year, 3, 15)  # a new hire, ramping during the year
            if k == 1 and per_region > 3:
                end = dt.date(fiscal_year, 5, 20)  # a leaver, mid-year
            rows.append(
                {
                    "rep_id": f"R{number:04d}",
                    "name": f"Rep {number}",
                    "region": region,
                    "team": f"{region}-T{k % 2 + 1}",
                    "manager_id": None,
                    "tier": "ABCD"[(number * 7) % 4],
                    "role": "rep",
                    "hire_date": hire,
                    "end_date": end,
                }
            )
    return pd.DataFrame(rows)


def _bookings(
    history: list[dt.date],
    level: dict[str, np.ndarray],
    lines: list[str],
    line_mix: np.ndarray,
    reps: pd.DataFrame,
    partners: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One row per month x seller x product line x deal type with a booking."""
    sellers = pd.concat(
        [
            pd.DataFrame(
                {
                    "region": reps["region"],
                    "channel": "direct",
                    "rep_id": reps["rep_id"],
                    "partner_id": None,
                    "start": reps["hire_date"],
                    "end": reps["end_date"],
                }
            ),
            pd.DataFrame(
                {
                    "region": partners["region"],
                    "channel": "partner",
                    "rep_id": None,
                    "partner_id": partners["partner_id"],
                    "start": None,
                    "end": None,
                }
            ),
        ],
        ignore_index=True,
    )
    months = np.array([m.year * 12 + m.month - 1 for m in history])
    start = np.array([_month_number(d, -(10**6)) for d in sellers["start"]])
    end = np.array([_month_number(d, 10**6) for d in sellers["end"]])
    active = (months[:, None] >= start[None, :]) & (months[:, None] <= end[None, :])
    # Each active seller's share of its region x channel in a month.
    group = pd.factorize(sellers["region"] + "/" + sellers["channel"])[0]
    counts = np.zeros((len(history), group.max() + 1))
    np.add.at(counts.T, group, active.T.astype(float))
    share = np.where(active, 1.0 / np.maximum(counts[:, group], 1.0), 0.0)
    channel_share = np.where(sellers["channel"] == "direct", DIRECT_SHARE, 1 - DIRECT_SHARE)
    levels = np.stack([level[region] for region in sellers["region"]], axis=1)
    base = levels * share * channel_share[None, :]  # (months, sellers)
    # Rows are gathered as integer indices and sorted by integer codes (codes in the order of
    # the values, missing ids last, as a sort by the values puts them), and the text columns are
    # built once in the final order: at the x-large size (16,000 sellers, 20M rows) sorting the
    # concatenated text columns took several GB.
    region_codes = _sorted_codes(sellers["region"])
    channel_codes = _sorted_codes(sellers["channel"])
    rep_codes = _sorted_codes(sellers["rep_id"])
    partner_codes = _sorted_codes(sellers["partner_id"])
    line_order = np.argsort(np.argsort(np.array(lines, dtype=object), kind="stable"))
    deal_types = [deal_type for deal_type, _ in DEAL_TYPE_SHARES]
    deal_order = np.argsort(np.argsort(np.array(deal_types, dtype=object), kind="stable"))
    parts: dict[str, list[np.ndarray]] = {
        key: [] for key in ("month", "seller", "line", "deal", "amount", "customers")
    }
    for p, _line in enumerate(lines):
        for d, (deal_type, deal_share) in enumerate(DEAL_TYPE_SHARES):
            noise = rng.lognormal(0.0, 0.3, size=base.shape)
            amount = base * line_mix[p] * deal_share * noise
            m_idx, s_idx = np.nonzero(amount > 0)
            values = np.round(amount[m_idx, s_idx], 2)
            customers = (
                rng.poisson(values / 400_000) if deal_type == "new" else np.zeros(len(values), int)
            )
            parts["month"].append(m_idx)
            parts["seller"].append(s_idx)
            parts["line"].append(np.full(len(values), p))
            parts["deal"].append(np.full(len(values), d))
            parts["amount"].append(values)
            parts["customers"].append(customers)
    rows = {key: np.concatenate(arrays) for key, arrays in parts.items()}
    del parts
    seller = rows["seller"]
    # np.lexsort is stable and sorts by the last key first.
    order = np.lexsort(
        (
            partner_codes[seller],
            rep_codes[seller],
            deal_order[rows["deal"]],
            channel_codes[seller],
            line_order[rows["line"]],
            region_codes[seller],
            rows["month"],
        )
    )
    seller = seller[order]
    values = rows["amount"][order]
    return pd.DataFrame(
        {
            "month": np.array(history, dtype=object)[rows["month"][order]],
            "region": sellers["region"].to_numpy()[seller],
            "product_line": np.array(lines, dtype=object)[rows["line"][order]],
            "channel": sellers["channel"].to_numpy()[seller],
            "deal_type": np.array(deal_types, dtype=object)[rows["deal"][order]],
            "partner_id": sellers["partner_id"].to_numpy()[seller],
            "rep_id": sellers["rep_id"].to_numpy()[seller],
            "bookings_amount": values,
            "order_count": 1 + (values // 200_000).astype(int),
            "new_customers": rows["customers"][order],
        }
    )


def _sorted_codes(values: pd.Series) -> np.ndarray:
    """Integer codes that sort like the values, missing values last."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.where(codes < 0, len(uniques), codes)


def _month_number(day: object, missing: int) -> int:
    if day is None or (not isinstance(day, dt.date) and pd.isna(day)):
        return missing
    return day.year * 12 + day.month - 1  # type: ignore[attr-defined]


def _collections(bookings: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    keys = ["month", "region", "product_line", "channel", "partner_id"]
    grouped = bookings.groupby(keys, dropna=False, sort=True)["bookings_amount"].sum().reset_index()
    collected = grouped["bookings_amount"].to_numpy() * 0.93 * rng.lognormal(0, 0.1, len(grouped))
    return grouped.assign(
        deal_type="new",
        collected_amount=np.round(collected, 2),
        invoiced_amount=grouped["bookings_amount"].round(2),
        payment_count=3,
    ).drop(columns="bookings_amount")


def _region_targets(
    company: pd.DataFrame,
    bookings: pd.DataFrame,
    collections: pd.DataFrame,
    last_year: pd.Series,
    last_year_collections: pd.Series,
    growth: dict[str, float],
) -> pd.DataFrame:
    rows = []
    for target in company.itertuples():
        metric = target.metric
        if metric == "collections":
            actual = collections[last_year_collections].groupby("region")["collected_amount"].sum()
        else:
            frame = bookings[last_year]
            if metric.endswith("_bookings"):
                frame = frame[frame["deal_type"] == metric.removesuffix("_bookings")]
            column = "new_customers" if metric == "new_customers" else "bookings_amount"
            actual = frame.groupby("region")[column].sum()
        for region, value in actual.items():
            amount = value * (1 + growth[region] + 0.05)
            if metric == "new_customers":
                amount = float(round(amount))
            rows.append(
                {
                    **_target(target.fiscal_year, metric, amount, 0.9, 1.15),
                    "scope": f"region={region}",
                }
            )
    return pd.DataFrame(rows)


def _target(year: int, metric: str, amount: float, floor: float, stretch: float) -> dict:
    return {
        "fiscal_year": year,
        "metric": metric,
        "scope": "company",
        "amount": round(float(amount), 2),
        "floor_pct": floor,
        "stretch_pct": stretch,
    }


def _forecasts(
    bookings: pd.DataFrame,
    collections: pd.DataFrame,
    as_of: dt.date,
    fiscal_year: int,
    n_paths: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    future = [add_months(dt.date(fiscal_year, 1, 1), k) for k in range(24)]
    season = np.array([SEASON[m.month - 1] for m in future])
    forecast_parts = []
    path_parts = []
    for metric, frame, column in (
        ("bookings", bookings, "bookings_amount"),
        ("collections", collections, "collected_amount"),
    ):
        recent = frame[frame["month"] >= add_months(as_of, -12)]
        yearly = recent.groupby(["region", "product_line", "channel"])[column].sum()
        keys = yearly.index.to_frame(index=False)
        yhat = np.maximum(
            yearly.to_numpy()[:, None]
            * season[None, :]
            * (1 + 0.05 * rng.standard_normal((len(yearly), len(future)))),
            0.0,
        )
        n_segments, n_months = yhat.shape
        forecast_parts.append(
            pd.DataFrame(
                {
                    "metric": metric,
                    "region": np.repeat(keys["region"].to_numpy(), n_months),
                    "product_line": np.repeat(keys["product_line"].to_numpy(), n_months),
                    "channel": np.repeat(keys["channel"].to_numpy(), n_months),
                    "month": np.tile(np.array(future, dtype=object), n_segments),
                    "yhat": np.round(yhat.reshape(-1), 2),
                }
            )
        )
        draws = yhat[:, :, None] * rng.lognormal(-0.02, 0.2, size=(n_segments, n_months, n_paths))
        path_parts.append(
            pd.DataFrame(
                {
                    "metric": metric,
                    "region": np.repeat(keys["region"].to_numpy(), n_months * n_paths),
                    "product_line": np.repeat(keys["product_line"].to_numpy(), n_months * n_paths),
                    "channel": np.repeat(keys["channel"].to_numpy(), n_months * n_paths),
                    "month": np.tile(
                        np.repeat(np.array(future, dtype=object), n_paths), n_segments
                    ),
                    "path": np.tile(np.arange(n_paths), n_segments * n_months),
                    "y": np.round(draws.reshape(-1), 2),
                }
            )
        )
    return pd.concat(forecast_parts, ignore_index=True), pd.concat(path_parts, ignore_index=True)


def _funnel_rates(region_codes: list[str], lines: list[str], reps: pd.DataFrame) -> pd.DataFrame:
    rows = [_rates("company", None, None, None, None, 1.0, 10_000)]
    for r, region in enumerate(region_codes):
        rows.append(_rates("region", region, None, None, None, 0.8 + 0.1 * (r % 4), 2_000))
        for line in lines:
            rows.append(
                _rates("region_product_line", region, line, None, None, 0.9 + 0.05 * (r % 4), 300)
            )
            for channel in ("direct", "partner"):
                rows.append(_rates("segment", region, line, channel, None, 1.0, 120))
    for k, rep in enumerate(reps.itertuples()):
        rows.append(
            _rates("rep", rep.region, None, None, rep.rep_id, 0.7 + 0.1 * (k % 5), 8 + k % 30)
        )
    return pd.DataFrame(rows)


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
