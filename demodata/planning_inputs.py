"""Planning inputs written by people: regions, annual targets and manager adjustments.

Targets are set the way a finance team sets them in December: last year's actual plus an
ambition that differs by region. Adjustments are a few manager overrides (locks) in the most
recent months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demodata import catalog
from demodata.deals import EXPANSION, NEW, RENEWAL, Deals
from demodata.erp import Ledger
from demodata.people import Organisation
from demodata.timeline import EPOCH, NULL, first_day_of_month, month_label
from demodata.world import World
from salesplan.entities import TARGET_METRICS

FLOOR_PCT = 0.9
# Yearly growth of each region's market potential (China's enterprise software market).
MARKET_GROWTH = 0.06


def monthly_actuals(world: World, deals: Deals, ledger: Ledger) -> pd.DataFrame:
    """Return the true monthly actuals per region in CNY (what the marts should find).

    Returns:
        Columns ``month`` (month number), ``region`` (index), ``bookings``, ``new_bookings``,
        ``expansion_bookings``, ``renewal_bookings``, ``collections``, ``new_customers``.
    """
    lines = ledger.order_lines
    month = world.calendar.month_of_day[lines["order_day"].to_numpy()]
    cny = lines["net_cents"].to_numpy() / 100 * world.fx[lines["currency"].to_numpy(), month]
    opportunity = lines["opportunity"].to_numpy()
    deal_type = np.where(
        opportunity >= 0,
        deals.opportunities["deal_type"].to_numpy()[np.maximum(opportunity, 0)],
        -1,
    )
    bookings = pd.DataFrame(
        {
            "month": month,
            "region": lines["region"].to_numpy(),
            "bookings": cny,
            "new_bookings": np.where(deal_type == NEW, cny, 0.0),
            "expansion_bookings": np.where(deal_type == EXPANSION, cny, 0.0),
            "renewal_bookings": np.where(deal_type == RENEWAL, cny, 0.0),
        }
    )
    first_order = lines.groupby("account")["order_day"].min()
    customers = pd.DataFrame(
        {
            "month": world.calendar.month_of_day[first_order.to_numpy()],
            "region": deals.accounts["region"].to_numpy()[first_order.index.to_numpy()],
            "new_customers": 1.0,
        }
    )
    payments = ledger.payments
    invoices = ledger.invoices
    order_region = lines.groupby("order")["region"].first()
    paid_month = world.calendar.month_of_day[payments["paid_day"].to_numpy()]
    invoice_order = invoices["order"].to_numpy()[payments["invoice"].to_numpy()]
    collections = pd.DataFrame(
        {
            "month": paid_month,
            "region": order_region.reindex(invoice_order).to_numpy(),
            "collections": payments["amount_cents"].to_numpy()
            / 100
            * world.fx[payments["currency"].to_numpy(), paid_month],
        }
    )
    frames = [
        frame.groupby(["month", "region"]).sum() for frame in (bookings, customers, collections)
    ]
    return pd.concat(frames, axis=1).fillna(0.0).reset_index()


def regions_frame(world: World, year: int) -> pd.DataFrame:
    """Return the regions with their market potential (CNY) for fiscal ``year``."""
    return pd.DataFrame(
        {
            "region": [r.code for r in world.regions],
            "name_en": [r.name_en for r in world.regions],
            "name_zh": [r.name_zh for r in world.regions],
            "market_potential": [
                round(r.market_potential * (1 + MARKET_GROWTH) ** (year - 2021), -6)
                for r in world.regions
            ],
        }
    )


def annual_targets(world: World, actuals: pd.DataFrame, fiscal_year: int) -> pd.DataFrame:
    """Return the targets of ``fiscal_year``, set in December of the year before.

    Each region's target is its prior-year actual plus an ambition of 10-25% (higher where the
    region has been growing); the company target gets its own ambition of ~15% on the company
    actual. Region targets therefore do not add up to the company target, as in real
    companies: planning treats the company figure as authoritative and spreads it down.
    The prior year is taken in full (a real team would use Jan-Nov plus a December estimate);
    for the first year, which has no prior year in the data, the base is that year's actual
    deflated by the region's growth.
    """
    rng = np.random.default_rng([world.seed, fiscal_year, 17])
    year_of = EPOCH.year + actuals["month"] // 12
    by_region = actuals.assign(year=year_of).groupby(["year", "region"])[list(TARGET_METRICS)].sum()
    rows = []
    company_base = None
    for region_index, region in enumerate(world.regions):
        if (fiscal_year - 1, region_index) in by_region.index:
            base = by_region.loc[(fiscal_year - 1, region_index)]
        else:
            base = by_region.loc[(fiscal_year, region_index)] / (1 + region.growth)
        company_base = base if company_base is None else company_base + base
        ambition = float(np.clip(region.growth + 0.04 + rng.normal(0, 0.02), 0.10, 0.25))
        stretch = 1.15 if region.growth < 0.15 else 1.2
        rows += _target_rows(fiscal_year, f"region={region.code}", base, ambition, stretch)
    company_ambition = 0.15 + float(rng.normal(0, 0.01))
    rows = _target_rows(fiscal_year, "company", company_base, company_ambition, 1.15) + rows
    return pd.DataFrame(rows)


def _target_rows(
    fiscal_year: int, scope: str, base: pd.Series, ambition: float, stretch: float
) -> list[dict[str, object]]:
    rows = []
    for metric in TARGET_METRICS:
        value = float(base[metric]) * (1 + ambition)
        # Money targets are round to 10,000 CNY; customer counts are whole customers.
        amount = round(value) if metric == "new_customers" else round(value, -4)
        rows.append(
            {
                "fiscal_year": fiscal_year,
                "metric": metric,
                "scope": scope,
                "amount": float(amount),
                "floor_pct": FLOOR_PCT,
                "stretch_pct": stretch,
            }
        )
    return rows


_REASONS = (
    "大客户续约提前至下月签约 / key-account renewal pulled into next month",
    "渠道伙伴季度末冲量承诺 / partner committed quarter-end volume",
    "重点项目延期至下季度 / flagship project slipped to next quarter",
    "新任销售尚在爬坡期, 下调目标 / new rep still ramping, target lowered",
    "区域经理确认政府项目中标 / regional manager confirmed public-sector award",
)


def adjustments(
    world: World,
    organisation: Organisation,
    deals: Deals,
    ledger: Ledger,
    actuals: pd.DataFrame,
    extract_month: int,
) -> pd.DataFrame:
    """Return the manager overrides filed in ``extract_month`` for the months ahead.

    One region lock for next month (the regional manager's own estimate) and one rep cell
    lock (region / product line / direct channel / rep) for the month after, valued from that
    rep's recent direct bookings.
    """
    rng = np.random.default_rng([world.seed, extract_month, 29])
    reps = organisation.reps
    by_region = actuals.groupby(["month", "region"])["bookings"].sum()
    region_index = int(rng.integers(0, len(world.regions)))
    region = world.regions[region_index]
    managers = reps[reps["is_manager"] & (reps["region"] == region_index)]
    author = str(managers["name"].iloc[0])
    recent = [
        float(by_region.get((month, region_index), 0.0))
        for month in range(extract_month - 5, extract_month + 1)
    ]
    region_value = round(np.mean(recent) * rng.uniform(0.95, 1.15), -4)
    rows = [
        {
            "metric": "bookings",
            "node": f"region={region.code}",
            "period": month_label(extract_month + 1),
            "value": float(region_value),
            "locked": True,
            "reason": _REASONS[int(rng.integers(0, 3))],
            "author": author,
        }
    ]

    lines = ledger.order_lines
    month = world.calendar.month_of_day[lines["order_day"].to_numpy()]
    opportunity = lines["opportunity"].to_numpy()
    recent_direct = (
        (month > extract_month - 6)
        & (month <= extract_month)
        & (opportunity >= 0)
        & (lines["channel"].to_numpy() == 0)
    )
    owners = deals.opportunities["owner"].to_numpy()[opportunity[recent_direct]]
    cny = (
        lines["net_cents"].to_numpy()[recent_direct]
        / 100
        * world.fx[lines["currency"].to_numpy()[recent_direct], month[recent_direct]]
    )
    cells = (
        pd.DataFrame(
            {
                "rep": owners,
                "region": lines["region"].to_numpy()[recent_direct],
                "line": deals.opportunities["product_line"].to_numpy()[opportunity[recent_direct]],
                "cny": cny,
            }
        )
        .groupby(["rep", "region", "line"])["cny"]
        .sum()
        .sort_values(ascending=False, kind="stable")
    )
    end_day = reps["end_day"].to_numpy()
    period_start = first_day_of_month(extract_month + 2)
    still_employed = [
        key for key in cells.index if end_day[key[0]] == NULL or end_day[key[0]] > period_start
    ]
    if still_employed:
        rep, rep_region, line = still_employed[int(rng.integers(0, min(5, len(still_employed))))]
        rep_id = f"R{rep + 1:0{rep_id_width(len(reps))}d}"
        rows.append(
            {
                "metric": "bookings",
                "node": (
                    f"region={world.regions[rep_region].code}"
                    f"/product_line={catalog.PRODUCT_LINES[line]}/channel=direct/rep_id={rep_id}"
                ),
                "period": month_label(extract_month + 2),
                "value": float(round(cells.loc[(rep, rep_region, line)] / 6 * 1.2, -3)),
                "locked": True,
                "reason": _REASONS[3 + int(rng.integers(0, 2))],
                "author": str(reps["name"].iloc[int(reps["manager"].iloc[rep])]),
            }
        )
    return pd.DataFrame(rows)


def rep_id_width(n_reps: int) -> int:
    """Digits of the rep ids: four (``R0042``) unless there are more reps than that."""
    return max(4, len(str(n_reps)))


def adjustment_months(world: World) -> list[int]:
    """The recent extract months in which managers filed overrides."""
    return [world.last_month - 7, world.last_month - 4, world.last_month - 1]
