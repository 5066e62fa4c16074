"""The whole demo business in memory, and its records in canonical shape at any moment.

:func:`simulate` runs every part of the simulation once; :class:`DemoBusiness` then answers
"what did the CRM/ERP show for these records at the end of month X" as pyarrow tables with the
canonical columns of ``salesplan.entities``. The writer turns those into extract files; tests
use them to check that the business looks real.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from demodata import catalog
from demodata.deals import N_STAGES, Deals, owner_at_minute, simulate_deals
from demodata.erp import Ledger, simulate_ledger
from demodata.leads import simulate_leads
from demodata.people import Organisation, partner_tier_at, simulate_organisation
from demodata.planning_inputs import monthly_actuals, rep_id_width
from demodata.sizes import size_named
from demodata.timeline import (
    MINUTES_PER_DAY,
    NULL,
    compact,
    dates,
    month_index,
    timestamps,
)
from demodata.world import CURRENCIES, World
from salesplan.entities import (
    ACTIVITY_TYPES,
    DEAL_TYPES,
    ENTITIES,
    LIFECYCLE_STAGES,
    OPPORTUNITY_STAGES,
    REP_TIERS,
)

Progress = Callable[[str], None]
MONEY = pa.decimal128(18, 2)
# FX rates keep six decimals; the canonical DECIMAL(18, 2) would cut HKD (0.92) too coarsely.
RATE = pa.decimal128(18, 6)


def _quiet(_: str) -> None:
    return None


@dataclass
class DemoBusiness:
    """Every simulated record of the demo business, with numeric codes.

    Attributes:
        world: size, timeline, calendar and FX.
        organisation: reps (managers included) and partners.
        deals: accounts and opportunities.
        leads: every lead, sorted by creation.
        ledger: order lines, invoices and payments.
        actuals: true monthly bookings, collections and new customers per region (CNY).
    """

    world: World
    organisation: Organisation
    deals: Deals
    leads: pd.DataFrame
    ledger: Ledger
    actuals: pd.DataFrame
    _numbers: dict[str, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        international = np.array([r.international for r in self.world.regions])
        accounts = self.deals.accounts
        account_order = np.argsort(accounts["created"].to_numpy(), kind="stable")
        account_rank = np.empty(len(accounts), dtype=np.int64)
        account_rank[account_order] = np.arange(len(accounts))
        self.account_order = account_order
        self._numbers = {
            "lead": _numbers_within_system(international[self.leads["region"].to_numpy()]),
            "opportunity": _numbers_within_system(
                international[self.deals.opportunities["region"].to_numpy()]
            ),
            "account": _numbers_within_system(
                international[accounts["region"].to_numpy()][account_order]
            )[account_rank],
        }
        opportunities = self.deals.opportunities
        history_start = self.world.calendar.month_starts[self.world.first_month] * MINUTES_PER_DAY
        # The CRM went live with the history: older opportunities are only there if still open.
        self.opportunity_visible = (
            opportunities["created"].to_numpy() <= self.world.end_minute
        ) & (
            (opportunities["created"].to_numpy() >= history_start)
            | (opportunities["close"].to_numpy() >= history_start)
        )
        self.stage_history = _stage_history(
            opportunities, self.opportunity_visible, self.world.end_minute
        )

    # ------------------------------------------------------------------ ids
    def rep_ids(self, rows: np.ndarray) -> pa.Array:
        """Rep ids (``R0042``) of rep rows (-1 gives null)."""
        return _ids("R", _one_based(rows), rep_id_width(len(self.organisation.reps)))

    def partner_ids(self, rows: np.ndarray) -> pa.Array:
        """Partner ids (``P0007``) of partner rows (-1 gives null)."""
        width = max(4, len(str(len(self.organisation.partners))))
        return _ids("P", _one_based(rows), width)

    def lead_ids(self, rows: np.ndarray) -> pa.Array:
        """Lead ids: ``XS...`` from the Chinese CRM, ``00Q...`` from Salesforce."""
        return self._system_ids("lead", self.leads["region"].to_numpy(), rows, "XS", 9, "00Q5j")

    def opportunity_ids(self, rows: np.ndarray) -> pa.Array:
        """Opportunity ids: ``SJ...`` (商机) in China, ``006...`` from Salesforce."""
        region = self.deals.opportunities["region"].to_numpy()
        return self._system_ids("opportunity", region, rows, "SJ", 8, "0065j")

    def account_ids(self, rows: np.ndarray) -> pa.Array:
        """Account ids: ``KH...`` (客户) in China, ``001...`` from Salesforce."""
        region = self.deals.accounts["region"].to_numpy()
        return self._system_ids("account", region, rows, "KH", 8, "0015j")

    def _system_ids(
        self, kind: str, region: np.ndarray, rows: np.ndarray, china: str, width: int, intl: str
    ) -> pa.Array:
        rows = np.asarray(rows)
        valid = rows >= 0
        safe = np.where(valid, rows, 0)
        numbers = np.where(valid, self._numbers[kind][safe], -1)
        international = np.array([r.international for r in self.world.regions])[region[safe]]
        return pc.if_else(
            pa.array(international), _ids(intl, numbers, 10), _ids(china, numbers, width)
        )

    # ------------------------------------------------------------ entities
    def leads_table(self, rows: np.ndarray, at: int) -> pa.Table:
        """Leads ``rows`` as the CRM showed them at minute ``at``."""
        leads = self.leads
        converted = _visible(leads["converted"].to_numpy()[rows], at)
        opportunity = np.where(
            converted != NULL, leads["converted_opportunity"].to_numpy()[rows], -1
        )
        return _table(
            "leads",
            lead_id=self.lead_ids(rows),
            created_at=timestamps(leads["created"].to_numpy()[rows]),
            source_channel=_labels(catalog.LEAD_SOURCES, leads["source"].to_numpy()[rows]),
            region=self._regions(leads["region"].to_numpy()[rows]),
            product_line=_labels(catalog.PRODUCT_LINES, leads["product_line"].to_numpy()[rows]),
            owner_rep_id=self.rep_ids(leads["owner"].to_numpy()[rows]),
            mql_at=timestamps(_visible(leads["mql"].to_numpy()[rows], at)),
            sql_at=timestamps(_visible(leads["sql"].to_numpy()[rows], at)),
            disqualified_at=timestamps(_visible(leads["disqualified"].to_numpy()[rows], at)),
            converted_opportunity_id=self.opportunity_ids(opportunity),
        )

    def opportunity_stage_codes(self, rows: np.ndarray, at: int) -> np.ndarray:
        """Stage code (index into ``OPPORTUNITY_STAGES``) of opportunity ``rows`` at ``at``."""
        opportunities = self.deals.opportunities
        entered = opportunities[[f"stage_{k}" for k in range(N_STAGES)]].to_numpy()[rows]
        reached = (entered != NULL) & (entered <= at)
        return N_STAGES - 1 - np.argmax(reached[:, ::-1], axis=1)

    def opportunities_table(self, rows: np.ndarray, at: int) -> pa.Table:
        """Opportunities ``rows`` as the CRM showed them at minute ``at``."""
        opportunities = self.deals.opportunities
        stage = self.opportunity_stage_codes(rows, at)
        closed = stage >= OPPORTUNITY_STAGES.index("closed_won")
        close_day = opportunities["close"].to_numpy()[rows] // MINUTES_PER_DAY
        expected = opportunities["expected_close_day"].to_numpy()[rows]
        moved = opportunities["close_date_moved_at"].to_numpy()[rows]
        # While open, the CRM shows the rep's estimate; once that date has passed, the rep
        # moves it to the date the deal will really close.
        shown = np.where(closed | ((moved != NULL) & (moved <= at)), close_day, expected)
        currency = opportunities["currency"].to_numpy()[rows]
        return _table(
            "opportunities",
            opportunity_id=self.opportunity_ids(rows),
            account_id=self.account_ids(opportunities["account"].to_numpy()[rows]),
            created_at=timestamps(opportunities["created"].to_numpy()[rows]),
            close_date=dates(shown),
            stage=_labels(OPPORTUNITY_STAGES, stage),
            is_won=pa.array(stage == OPPORTUNITY_STAGES.index("closed_won")),
            is_closed=pa.array(closed),
            amount=pa.array(opportunities["amount"].to_numpy()[rows]).cast(MONEY),
            currency=_labels(CURRENCIES, currency),
            product_line=_labels(
                catalog.PRODUCT_LINES, opportunities["product_line"].to_numpy()[rows]
            ),
            region=self._regions(opportunities["region"].to_numpy()[rows]),
            channel=_labels(("direct", "partner"), opportunities["channel"].to_numpy()[rows]),
            partner_id=self.partner_ids(opportunities["partner"].to_numpy()[rows]),
            deal_type=_labels(DEAL_TYPES, opportunities["deal_type"].to_numpy()[rows]),
            owner_rep_id=self.rep_ids(
                owner_at_minute(opportunities, np.asarray(rows), np.full(len(rows), at))
            ),
        )

    def stage_history_table(self, rows: np.ndarray) -> pa.Table:
        """Rows of :attr:`stage_history` (opportunity, stage, entered minute)."""
        history = self.stage_history
        return _table(
            "opportunity_stage_history",
            opportunity_id=self.opportunity_ids(history["opportunity"].to_numpy()[rows]),
            stage=_labels(OPPORTUNITY_STAGES, history["stage"].to_numpy()[rows]),
            entered_at=timestamps(history["entered"].to_numpy()[rows]),
        )

    def activities_table(self, frame: pd.DataFrame, first_number: int) -> pa.Table:
        """One month of activities (``activities_in_month``), numbered from ``first_number``."""
        return _table(
            "activities",
            activity_id=_ids("ACT", np.arange(first_number, first_number + len(frame)), 10),
            rep_id=self.rep_ids(frame["rep"].to_numpy()),
            activity_type=_labels(ACTIVITY_TYPES, frame["activity_type"].to_numpy()),
            occurred_at=timestamps(frame["occurred"].to_numpy()),
            lead_id=self.lead_ids(frame["lead"].to_numpy()),
            opportunity_id=self.opportunity_ids(frame["opportunity"].to_numpy()),
        )

    def reps_table(self, rows: np.ndarray, at: int) -> pa.Table:
        """Reps ``rows`` as HR showed them at minute ``at`` (future leaving dates unknown)."""
        reps = self.organisation.reps
        at_day = at // MINUTES_PER_DAY
        end_day = reps["end_day"].to_numpy()[rows]
        return _table(
            "reps",
            rep_id=self.rep_ids(rows),
            name=pa.array(reps["name"].to_numpy()[rows], pa.string()),
            region=self._regions(reps["region"].to_numpy()[rows]),
            team=pa.array(reps["team_name"].to_numpy()[rows], pa.string()),
            manager_id=self.rep_ids(reps["manager"].to_numpy()[rows]),
            hire_date=dates(reps["hire_day"].to_numpy()[rows]),
            end_date=dates(np.where(end_day <= at_day, end_day, NULL)),
            tier=_labels(REP_TIERS, reps["tier"].to_numpy()[rows]),
            role=_labels(("rep", "manager"), reps["is_manager"].to_numpy()[rows].astype(int)),
        )

    def partners_table(self, rows: np.ndarray, at: int) -> pa.Table:
        """Partners ``rows`` with their tier at minute ``at``."""
        partners = self.organisation.partners
        tier = partner_tier_at(
            partners,
            self.organisation.partner_tier_changes,
            np.asarray(rows),
            at // MINUTES_PER_DAY,
        )
        return _table(
            "partners",
            partner_id=self.partner_ids(rows),
            name=pa.array(partners["name"].to_numpy()[rows], pa.string()),
            region=self._regions(partners["region"].to_numpy()[rows]),
            tier=_labels(catalog.PARTNER_TIERS, tier),
        )

    def accounts_table(self, rows: np.ndarray) -> pa.Table:
        """Accounts ``rows``."""
        accounts = self.deals.accounts
        return _table(
            "accounts",
            account_id=self.account_ids(rows),
            name=pa.array(accounts["name"].to_numpy()[rows], pa.string()),
            industry=_labels(catalog.INDUSTRIES, accounts["industry"].to_numpy()[rows]),
            segment=_labels(catalog.SEGMENTS, accounts["segment"].to_numpy()[rows]),
            region=self._regions(accounts["region"].to_numpy()[rows]),
        )

    def order_lines_table(self, rows: np.ndarray) -> pa.Table:
        """Order lines ``rows``."""
        lines = self.ledger.order_lines
        return _table(
            "order_lines",
            order_id=_ids("SO", lines["order"].to_numpy()[rows] + 1, 10),
            line_no=pa.array(lines["line_no"].to_numpy()[rows], pa.int64()),
            order_date=dates(lines["order_day"].to_numpy()[rows]),
            account_id=self.account_ids(lines["account"].to_numpy()[rows]),
            opportunity_id=self.opportunity_ids(lines["opportunity"].to_numpy()[rows]),
            product_sku=_labels([p.sku for p in catalog.PRODUCTS], lines["sku"].to_numpy()[rows]),
            quantity=pa.array(lines["quantity"].to_numpy()[rows], pa.int64()),
            net_amount=_cents(lines["net_cents"].to_numpy()[rows]),
            currency=_labels(CURRENCIES, lines["currency"].to_numpy()[rows]),
            region=self._regions(lines["region"].to_numpy()[rows]),
            channel=_labels(("direct", "partner"), lines["channel"].to_numpy()[rows]),
            partner_id=self.partner_ids(lines["partner"].to_numpy()[rows]),
        )

    def invoices_table(self, rows: np.ndarray) -> pa.Table:
        """Invoices ``rows``."""
        invoices = self.ledger.invoices
        return _table(
            "invoices",
            invoice_id=_ids("INV", np.asarray(rows) + 1, 10),
            order_id=_ids("SO", invoices["order"].to_numpy()[rows] + 1, 10),
            invoice_date=dates(invoices["invoice_day"].to_numpy()[rows]),
            due_date=dates(invoices["due_day"].to_numpy()[rows]),
            amount=_cents(invoices["amount_cents"].to_numpy()[rows]),
            currency=_labels(CURRENCIES, invoices["currency"].to_numpy()[rows]),
        )

    def payments_table(self, rows: np.ndarray) -> pa.Table:
        """Payments ``rows``."""
        payments = self.ledger.payments
        return _table(
            "payments",
            payment_id=_ids("PAY", np.asarray(rows) + 1, 10),
            invoice_id=_ids("INV", payments["invoice"].to_numpy()[rows] + 1, 10),
            paid_at=dates(payments["paid_day"].to_numpy()[rows]),
            amount=_cents(payments["amount_cents"].to_numpy()[rows]),
            currency=_labels(CURRENCIES, payments["currency"].to_numpy()[rows]),
        )

    def products_table(self, rows: np.ndarray, month: int) -> pa.Table:
        """Products ``rows`` (indices into ``catalog.PRODUCTS``) with their stage in ``month``."""
        products = [catalog.PRODUCTS[i] for i in rows]
        return _table(
            "products",
            product_sku=pa.array([p.sku for p in products], pa.string()),
            product_line=pa.array([p.product_line for p in products], pa.string()),
            lifecycle_stage=pa.array([product_stage(p, month) for p in products], pa.string()),
            list_price=pa.array([float(p.list_price) for p in products]).cast(MONEY),
        )

    def fx_rates_table(self, months: list[int]) -> pa.Table:
        """Monthly rates into CNY of every foreign currency, for ``months``."""
        currency = np.repeat(np.arange(1, len(CURRENCIES)), len(months))
        month = np.tile(np.array(months, dtype=np.int64), len(CURRENCIES) - 1)
        return _table(
            "fx_rates",
            currency=_labels(CURRENCIES, currency),
            month=dates(self.world.calendar.month_starts[month]),
            rate_to_reporting_currency=pa.array(self.world.fx[currency, month]).cast(RATE),
        )

    def _regions(self, index: np.ndarray) -> pa.Array:
        return _labels([r.code for r in self.world.regions], index)


def simulate(
    size: str = "small", seed: int = 7, end_month: str = "2026-10", progress: Progress | None = None
) -> DemoBusiness:
    """Simulate the demo business of ``size`` from 2021-01 to ``end_month``.

    Args:
        size: ``small``, ``default``, ``large`` or ``xlarge``.
        seed: every random draw derives from it; the same arguments give the same business.
        end_month: the last month with data, ``YYYY-MM``.
        progress: receives a short message before each step.

    Returns:
        The business in memory.
    """
    say = progress or _quiet
    world = World(size_named(size), seed, end_month)
    say(f"simulating the {size} business: {len(world.regions)} regions, reps and partners")
    organisation = simulate_organisation(world)
    say("simulating accounts and opportunities (new, expansion, renewal)")
    deals = simulate_deals(world, organisation)
    say(f"simulating leads for {len(deals.opportunities):,} opportunities")
    leads = simulate_leads(world, organisation, deals)
    say("simulating orders, invoices and payments")
    ledger = simulate_ledger(world, deals)
    actuals = monthly_actuals(world, deals, ledger)
    return DemoBusiness(world, organisation, deals, leads, ledger, actuals)


def product_stage(product: catalog.Product, month: int) -> str:
    """Return the lifecycle stage of ``product`` in month number ``month``."""
    stage = product.stages[0][1]
    for first, name in product.stages:
        if month_index(first) <= month:
            stage = name
    if stage not in LIFECYCLE_STAGES:
        raise ValueError(f"{product.sku}: unknown lifecycle stage {stage!r}")
    return stage


def _stage_history(
    opportunities: pd.DataFrame, visible: np.ndarray, end_minute: int
) -> pd.DataFrame:
    """One row per (visible opportunity, stage entered), sorted by the minute it was entered."""
    entered = opportunities[[f"stage_{k}" for k in range(N_STAGES)]].to_numpy()
    rows, stages = np.nonzero((entered != NULL) & (entered <= end_minute) & visible[:, None])
    minutes = entered[rows, stages]
    order = np.lexsort((stages, rows, minutes))
    return compact(
        pd.DataFrame(
            {"opportunity": rows[order], "stage": stages[order], "entered": minutes[order]}
        )
    )


def _numbers_within_system(international: np.ndarray) -> np.ndarray:
    """Running number (from 1) of each row among the rows of the same system."""
    numbers = np.empty(international.size, dtype=np.int64)
    for flag in (False, True):
        rows = international == flag
        numbers[rows] = np.arange(1, int(rows.sum()) + 1)
    return numbers


def _one_based(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.int64)
    return np.where(rows >= 0, rows + 1, -1)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    numbers = np.asarray(numbers, dtype=np.int64)
    digits = pa.array(numbers, pa.int64(), mask=numbers < 0).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width=width, padding="0"), "")


def _labels(labels: tuple[str, ...] | list[str], index: np.ndarray) -> pa.Array:
    index = np.asarray(index, dtype=np.int64)
    return pc.take(pa.array(list(labels), pa.string()), pa.array(index, mask=index < 0))


def _visible(minutes: np.ndarray, at: int) -> np.ndarray:
    return np.where(minutes <= at, minutes, NULL)


def _cents(cents: np.ndarray) -> pa.Array:
    # cents / 100 is the double nearest to the exact amount; the cast rounds back to the cent.
    return pa.array(np.asarray(cents, dtype=np.int64) / 100).cast(MONEY)


def _table(entity: str, **columns: pa.Array) -> pa.Table:
    expected = ENTITIES[entity].column_names
    if tuple(columns) != expected:
        raise ValueError(f"{entity}: built columns {tuple(columns)} differ from {expected}")
    return pa.table(columns)
