"""ERP records: orders booked from won deals, invoices (one or installments) and payments.

Money is handled in minor units (cents) and split with largest-remainder rounding, so order
lines sum exactly to the order and installments to the invoiced total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from demodata import catalog
from demodata.deals import Deals
from demodata.timeline import date_of, day_of, month_index
from demodata.world import World
from salesplan.spring_festival import holiday_period, slowdown_window

# Share of orders booked without an opportunity (web-shop add-ons, small renewals by phone).
STANDALONE_ORDER_SHARE = 0.03
# Share of invoices never paid by the end of the history (disputes, bad debt).
UNPAID_SHARE = 0.03
SPLIT_PAYMENT_SHARE = 0.10
# Finance chases collections before the books close and before the Spring Festival.
YEAR_END_PUSH = 0.45
SPRING_FESTIVAL_PUSH = 0.55
TYPICAL_DISCOUNT = 0.15


@dataclass(frozen=True)
class Ledger:
    """``order_lines``, ``invoices`` and ``payments`` with numeric codes, sorted by date.

    ``order_lines``: ``order``, ``line_no``, ``order_day``, ``account``, ``opportunity``
    (row or -1), ``sku`` (index into ``catalog.PRODUCTS``), ``quantity``, ``net_cents``,
    ``currency``, ``region``, ``channel``, ``partner``. ``invoices``: ``order``,
    ``invoice_day``, ``due_day``, ``amount_cents``, ``currency``. ``payments``: ``invoice``,
    ``paid_day``, ``amount_cents``, ``currency``.
    """

    order_lines: pd.DataFrame
    invoices: pd.DataFrame
    payments: pd.DataFrame


def split_cents(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split each ``total`` (integer cents) by the row of ``weights``, exactly.

    Args:
        total: ``(n,)`` non-negative integers.
        weights: ``(n, k)`` non-negative weights; zero weights get nothing.

    Returns:
        ``(n, k)`` integers whose rows sum to ``total`` (largest-remainder rounding).
    """
    weights = np.asarray(weights, dtype=np.float64)
    share = weights / weights.sum(axis=1, keepdims=True)
    raw = share * np.asarray(total)[:, None]
    floor = np.floor(raw).astype(np.int64)
    missing = np.asarray(total) - floor.sum(axis=1)
    remainder_rank = np.argsort(np.argsort(-(raw - floor), axis=1, kind="stable"), axis=1)
    return floor + (remainder_rank < missing[:, None])


def simulate_ledger(world: World, deals: Deals) -> Ledger:
    """Book orders for won deals up to the end month, then invoice and collect them."""
    rng = world.rng("erp")
    end_day = world.calendar.month_starts[world.last_month + 1] - 1
    orders = _orders(world, deals, end_day, rng)
    order_lines = _order_lines(world, orders, rng)
    invoices = _invoices(world, deals, orders, end_day, rng)
    payments = _payments(world, deals, orders, invoices, end_day, rng)
    return Ledger(order_lines=order_lines, invoices=invoices, payments=payments)


def _orders(world: World, deals: Deals, end_day: int, rng: np.random.Generator) -> pd.DataFrame:
    opportunities = deals.opportunities
    won = np.flatnonzero(opportunities["won"].to_numpy())
    won_rows = opportunities.iloc[won]
    close_day = won_rows["close"].to_numpy() // 1440
    order_day = close_day + rng.choice([0, 0, 1, 2, 3], won.size)
    discount = np.round(rng.uniform(0, 0.02, won.size), 3)
    net = np.round(won_rows["amount"].to_numpy() * (1 - discount) * 100).astype(np.int64)
    from_deals = pd.DataFrame(
        {
            "order_day": order_day,
            "account": won_rows["account"].to_numpy(),
            "opportunity": won,
            "product_line": won_rows["product_line"].to_numpy(),
            "net_cents": net,
            "currency": won_rows["currency"].to_numpy(),
            "region": won_rows["region"].to_numpy(),
            "channel": won_rows["channel"].to_numpy(),
            "partner": won_rows["partner"].to_numpy(),
        }
    )
    # The ERP extract starts with the history: orders of deals closed before 2021 are not
    # part of the demo (nor are those deals: the CRM only has what was open in 2021).
    history_start = world.calendar.month_starts[world.first_month]
    from_deals = from_deals[(from_deals["order_day"] <= end_day) & (close_day >= history_start)]

    n_extra = round(len(from_deals) * STANDALONE_ORDER_SHARE / (1 - STANDALONE_ORDER_SHARE))
    base = from_deals.iloc[rng.integers(0, max(len(from_deals), 1), n_extra)] if n_extra else None
    frames = [from_deals]
    if base is not None and len(base):
        month = world.calendar.month_of_day[np.minimum(base["order_day"].to_numpy(), end_day)]
        currency = base["currency"].to_numpy()
        amount_cny = rng.lognormal(np.log(15_000), 0.5, len(base))
        local = amount_cny / world.fx[currency, month]
        extra = base.assign(
            order_day=base["order_day"].to_numpy() + rng.integers(30, 400, len(base)),
            opportunity=-1,
            net_cents=np.round(local, 0).astype(np.int64) * 100,
            channel=0,
            partner=-1,
        )
        frames.append(extra[extra["order_day"] <= end_day])
    orders = pd.concat(frames, ignore_index=True)
    order = np.lexsort((rng.random(len(orders)), orders["order_day"].to_numpy()))
    return orders.iloc[order].reset_index(drop=True)


def _sku_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return per product line the (padded) SKU indices, their launch months and list prices."""
    per_line = np.full((len(catalog.PRODUCT_LINES), 3), -1)
    for line_index, line in enumerate(catalog.PRODUCT_LINES):
        skus = [i for i, p in enumerate(catalog.PRODUCTS) if p.product_line == line]
        per_line[line_index, : len(skus)] = skus
    launch = np.array([month_index(p.launch) for p in catalog.PRODUCTS])
    price = np.array([p.list_price for p in catalog.PRODUCTS])
    return per_line, launch, price


def _order_lines(world: World, orders: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    per_line, launch, price = _sku_table()
    n = len(orders)
    month = world.calendar.month_of_day[orders["order_day"].to_numpy()]
    candidates = per_line[orders["product_line"].to_numpy()]
    available = (candidates >= 0) & (launch[np.maximum(candidates, 0)] <= month[:, None])
    keys = np.where(available, rng.random((n, 3)), -1.0)
    ranked = np.argsort(-keys, axis=1)
    n_available = available.sum(axis=1)
    wanted = np.minimum(rng.choice([1, 2, 3], n, p=[0.5, 0.35, 0.15]), n_available)
    standalone = orders["opportunity"].to_numpy() < 0
    wanted = np.where(standalone, 1, wanted)
    sku = np.take_along_axis(candidates, ranked, axis=1)
    # Lines share the order roughly in proportion to the SKUs' list prices.
    weights = rng.gamma(4.0, 1.0, (n, 3)) * price[np.maximum(sku, 0)]
    weights = weights * (np.arange(3) < wanted[:, None])
    cents = split_cents(orders["net_cents"].to_numpy(), weights)
    line_rows, line_no = np.nonzero(np.arange(3) < wanted[:, None])
    sku = sku[line_rows, line_no]
    net_cents = cents[line_rows, line_no]
    currency = orders["currency"].to_numpy()[line_rows]
    net_cny = net_cents / 100 * world.fx[currency, month[line_rows]]
    quantity = np.maximum(1, np.round(net_cny / (price[sku] * (1 - TYPICAL_DISCOUNT)))).astype(
        np.int64
    )
    return pd.DataFrame(
        {
            "order": line_rows,
            "line_no": line_no + 1,
            "order_day": orders["order_day"].to_numpy()[line_rows],
            "account": orders["account"].to_numpy()[line_rows],
            "opportunity": orders["opportunity"].to_numpy()[line_rows],
            "sku": sku,
            "quantity": quantity,
            "net_cents": net_cents,
            "currency": currency,
            "region": orders["region"].to_numpy()[line_rows],
            "channel": orders["channel"].to_numpy()[line_rows],
            "partner": orders["partner"].to_numpy()[line_rows],
        }
    )


def _invoices(
    world: World, deals: Deals, orders: pd.DataFrame, end_day: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Invoice each order at once, or in 2-3 installments for large contracts."""
    segment = deals.accounts["segment"].to_numpy()[orders["account"].to_numpy()]
    currency = orders["currency"].to_numpy()
    month = world.calendar.month_of_day[orders["order_day"].to_numpy()]
    total_cny = orders["net_cents"].to_numpy() / 100 * world.fx[currency, month]
    three = (segment == 0) & (total_cny >= 500_000)
    two = ~three & (segment <= 1) & (total_cny >= 200_000)
    shares = np.where(
        three[:, None], [0.4, 0.3, 0.3], np.where(two[:, None], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0])
    )
    offsets = np.where(three[:, None], [0, 90, 180], np.where(two[:, None], [0, 120, 0], [0, 0, 0]))
    cents = split_cents(orders["net_cents"].to_numpy(), shares)
    first_day = orders["order_day"].to_numpy() + rng.integers(0, 8, len(orders))
    rows, installment = np.nonzero(shares > 0)
    invoice_day = first_day[rows] + offsets[rows, installment]
    terms = np.array([catalog.SEGMENT_ECONOMICS[s].payment_terms_days for s in catalog.SEGMENTS])
    partner = orders["channel"].to_numpy()[rows] == 1
    due_day = invoice_day + np.where(partner, 45, terms[segment[rows]])
    invoices = pd.DataFrame(
        {
            "order": rows,
            "invoice_day": invoice_day,
            "due_day": due_day,
            "amount_cents": cents[rows, installment],
            "currency": currency[rows],
        }
    )
    invoices = invoices[invoices["invoice_day"] <= end_day]
    order = np.lexsort((invoices["order"].to_numpy(), invoices["invoice_day"].to_numpy()))
    return invoices.iloc[order].reset_index(drop=True)


def _payments(
    world: World,
    deals: Deals,
    orders: pd.DataFrame,
    invoices: pd.DataFrame,
    end_day: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Collect invoices with segment-dependent delays, pushes before year end and the holiday."""
    n = len(invoices)
    order = invoices["order"].to_numpy()
    account = orders["account"].to_numpy()[order]
    segment = deals.accounts["segment"].to_numpy()[account]
    region = orders["region"].to_numpy()[order]
    economics = [catalog.SEGMENT_ECONOMICS[s] for s in catalog.SEGMENTS]
    mean = np.array([e.payment_delay_mean for e in economics])[segment]
    spread = np.array([e.payment_delay_sd for e in economics])[segment]
    delay = rng.normal(mean, spread)
    # A tail of slow payers among larger customers: a quarter more on top.
    slow = (segment < 2) & (rng.random(n) < 0.08)
    delay = delay + np.where(slow, rng.integers(30, 120, n), 0)
    invoice_day = invoices["invoice_day"].to_numpy()
    paid = np.maximum(invoices["due_day"].to_numpy() + np.round(delay), invoice_day + 1)
    paid = paid.astype(np.int64)
    paid = _collection_pushes(world, paid, invoice_day, region, rng)

    unpaid = rng.random(n) < UNPAID_SHARE
    split = rng.random(n) < SPLIT_PAYMENT_SHARE
    amount = invoices["amount_cents"].to_numpy()
    parts = split_cents(amount, np.where(split[:, None], [0.6, 0.4], [1.0, 0.0]))
    second_day = paid + rng.integers(20, 60, n)
    payments = pd.DataFrame(
        {
            "invoice": np.concatenate([np.arange(n), np.arange(n)]),
            "paid_day": np.concatenate([paid, second_day]),
            "amount_cents": np.concatenate([parts[:, 0], parts[:, 1]]),
            "currency": np.concatenate([invoices["currency"].to_numpy()] * 2),
        }
    )
    keep = np.concatenate([~unpaid, ~unpaid & split]) & (payments["paid_day"].to_numpy() <= end_day)
    payments = payments[keep]
    weekday = (payments["paid_day"].to_numpy() + date_of(0).weekday()) % 7
    # Banks do not credit on weekends: Saturday and Sunday payments arrive on Monday.
    payments = payments.assign(
        paid_day=payments["paid_day"].to_numpy() + np.where(weekday == 5, 2, weekday == 6)
    )
    payments = payments[payments["paid_day"].to_numpy() <= end_day]
    ordering = np.lexsort((payments["invoice"].to_numpy(), payments["paid_day"].to_numpy()))
    return payments.iloc[ordering].reset_index(drop=True)


def _collection_pushes(
    world: World,
    paid: np.ndarray,
    invoice_day: np.ndarray,
    region: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    paid = paid.copy()
    n = paid.size
    years = range(int(world.end_month[:4]) - 6, int(world.end_month[:4]) + 3)
    china = ~np.array([r.international for r in world.regions])[region]
    for year in years:
        january = (paid >= day_of(dt.date(year, 1, 1))) & (paid <= day_of(dt.date(year, 1, 31)))
        pulled = day_of(dt.date(year - 1, 12, 15)) + rng.integers(0, 16, n)
        move = january & (rng.random(n) < YEAR_END_PUSH) & (pulled > invoice_day)
        paid = np.where(move, pulled, paid)

        slow_start, _ = slowdown_window(year)
        holiday_start, holiday_end = holiday_period(year)
        during = china & (paid >= day_of(slow_start)) & (paid <= day_of(holiday_end))
        before = day_of(slow_start) - rng.integers(1, 13, n)
        move = during & (rng.random(n) < SPRING_FESTIVAL_PUSH) & (before > invoice_day)
        paid = np.where(move, before, paid)
        # Nobody pays during the holiday itself: what is left waits until offices reopen.
        still = china & (paid >= day_of(holiday_start)) & (paid <= day_of(holiday_end))
        after = day_of(holiday_end) + rng.integers(1, 11, n)
        paid = np.where(still, after, paid)
    return paid
