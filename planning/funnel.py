"""The reverse funnel: from a month's revenue target back to the work that must produce it.

For a target ``T`` and a node's rates:

    required_won           = T / average won deal size
    required_opportunities = required_won / win rate
    required_sqls          = required_opportunities / SQL -> opportunity rate
    required_mqls          = required_sqls / MQL -> SQL rate
    required_leads         = required_mqls / lead -> MQL rate
    required_<activity>    = required_opportunities x <activity> per opportunity

Worked example: a 10,000,000 target with a 100,000 average deal and a 20% win rate needs 100 won
deals and 500 opportunities; with 50% SQL->opportunity, 40% MQL->SQL and 25% lead->MQL that is
1,000 SQLs, 2,500 MQLs and 10,000 leads.

**Smoothing.** A rep's or a small segment's rates are noisy, so every rate is shrunk toward its
parent segment with a beta-binomial (empirical-Bayes) prior of strength ``k``
(``funnel.prior_strength``, in pseudo-observations):

    rate = (rate_observed x n + k x rate_parent) / (n + k)

where ``n`` is the rate's own sample (leads for lead->MQL, MQLs for MQL->SQL, SQLs for
SQL->opportunity, closed opportunities for the win rate). With ``k = 20``, a rep with 20 closed
deals at 40% under a segment at 20% gets 30%. Averages (deal size, stage lags, cycle-length
quantiles, activities per opportunity) are shrunk the same way with the number of won (deal
size, cycle) or closed (activities) deals as ``n``. The chain runs company -> region -> region x
product line -> segment (region x product line x channel) -> rep; a level missing from
``fct_funnel_rates`` passes its parent's values through. Partners use their segment's rates.
A deal-type stream (``new_bookings``) reads only that deal type's rows; ``bookings`` reads the
all-deal-types rows. A rate of zero with nothing to shrink toward (0 of 3 SQLs converted and
no parent rate) becomes Laplace's ``(successes + 1) / (n + 2)`` instead of an infinite
requirement. Expansion and renewal deals have no lead stage (no leads, MQLs or SQLs in the
facts): their requirements stop at opportunities, and the earlier stages are empty (NaN).

**Timing.** An opportunity that must be won in month ``m`` has to be created one sales cycle
earlier. The cycle-length distribution is represented by its quartile points: a quarter of the
deals each at the p25, p50, p75 and p90 cycle length (p90 stands for the slowest quarter; this
errs toward starting early). Each lag is rounded to whole months (30.44 days), so the month's
requirement is split over up to four *start months*; leads must arrive earlier still, by the
median lead->MQL->SQL->opportunity lags. Work whose start month is before the as-of month cannot
be started on time any more: it is kept and flagged ``at_risk`` rather than dropped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from planning.inputs import PlanningInputError, require_columns
from planning.money import largest_remainder
from salesplan.months import add_months

DAYS_PER_MONTH = 365.25 / 12
CYCLE_QUANTILES = ("p25", "p50", "p75", "p90")
CYCLE_WEIGHTS = (0.25, 0.25, 0.25, 0.25)
LEVELS = ("company", "region", "region_product_line", "segment", "rep")
# rate column -> the sample size column behind it
RATE_SAMPLES = {
    "lead_to_mql_rate": "n_leads",
    "mql_to_sql_rate": "n_mqls",
    "sql_to_opportunity_rate": "n_sqls",
    "win_rate": "n_opportunities_closed",
}
TOP_OF_FUNNEL = ("lead_to_mql_rate", "mql_to_sql_rate", "sql_to_opportunity_rate")
AVERAGE_SAMPLES = {
    "avg_won_amount": "n_won",
    "lead_to_mql_days": "n_mqls",
    "mql_to_sql_days": "n_sqls",
    "sql_to_opportunity_days": "n_sqls",
    "cycle_days_p25": "n_won",
    "cycle_days_p50": "n_won",
    "cycle_days_p75": "n_won",
    "cycle_days_p90": "n_won",
}
ACTIVITY_PLURALS = {
    "call": "calls",
    "visit": "visits",
    "email": "emails",
    "demo": "demos",
    "meeting": "meetings",
}


@dataclass(frozen=True)
class FunnelRates:
    """The (smoothed) rates of one node.

    The three top-of-funnel rates may be NaN: expansion and renewal deals come from existing
    customers, not from leads, so their funnel starts at the opportunity and their SQL, MQL and
    lead requirements are empty (NaN) rather than zero.

    Attributes:
        lead_to_mql_rate: share of leads that become MQLs (NaN: no lead stage).
        mql_to_sql_rate: share of MQLs that become SQLs (NaN: no lead stage).
        sql_to_opportunity_rate: share of SQLs that become opportunities (NaN: no lead stage).
        win_rate: share of closed opportunities that are won.
        avg_won_amount: average won deal size in major units.
        lead_to_mql_days: median lag lead -> MQL.
        mql_to_sql_days: median lag MQL -> SQL.
        sql_to_opportunity_days: median lag SQL -> opportunity.
        cycle_days: cycle length quantiles (opportunity created -> won) p25, p50, p75, p90.
        activities_per_opportunity: activity type -> activities per opportunity created.
    """

    lead_to_mql_rate: float
    mql_to_sql_rate: float
    sql_to_opportunity_rate: float
    win_rate: float
    avg_won_amount: float
    lead_to_mql_days: float = 0.0
    mql_to_sql_days: float = 0.0
    sql_to_opportunity_days: float = 0.0
    cycle_days: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    activities_per_opportunity: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        for name in RATE_SAMPLES:
            value = getattr(self, name)
            if name in TOP_OF_FUNNEL and math.isnan(value):
                continue
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], not {value}")
        if not self.avg_won_amount > 0.0:
            raise ValueError(f"avg_won_amount must be positive, not {self.avg_won_amount}")

    @property
    def lead_to_opportunity_days(self) -> float:
        """Median days from lead to opportunity (sum of the stage lags)."""
        return self.lead_to_mql_days + self.mql_to_sql_days + self.sql_to_opportunity_days


@dataclass(frozen=True)
class Requirement:
    """The funnel work behind one target amount."""

    won: float
    opportunities: float
    sqls: float
    mqls: float
    leads: float
    activities: Mapping[str, float]


def required_funnel(target: float, rates: FunnelRates) -> Requirement:
    """Return the deals, pipeline, leads and activities needed to book ``target``.

    Args:
        target: the amount to book, in the same (major) unit as ``rates.avg_won_amount``.
        rates: the node's rates.

    Returns:
        Fractional requirements (a node needs 0.4 opportunities; sums over nodes add up).
    """
    won = target / rates.avg_won_amount
    opportunities = won / rates.win_rate
    sqls = opportunities / rates.sql_to_opportunity_rate
    mqls = sqls / rates.mql_to_sql_rate
    leads = mqls / rates.lead_to_mql_rate
    per_opportunity = rates.activities_per_opportunity or {}
    activities = {kind: opportunities * ratio for kind, ratio in per_opportunity.items()}
    return Requirement(won, opportunities, sqls, mqls, leads, activities)


def start_months(target_month: dt.date, rates: FunnelRates) -> list[tuple[dt.date, float]]:
    """Return ``(month the opportunities must be created, share)`` for a target month.

    Quartile point masses of the cycle length, rounded to whole months and merged when equal.
    """
    shares: dict[dt.date, float] = {}
    for lag, weight in zip(cycle_lag_months(rates), CYCLE_WEIGHTS, strict=True):
        month = add_months(target_month, -lag)
        shares[month] = shares.get(month, 0.0) + weight
    return sorted(shares.items())


def lead_lag_months(rates: FunnelRates) -> int:
    """Months between a lead's arrival and its opportunity (rounded median stage lags)."""
    return max(round(rates.lead_to_opportunity_days / DAYS_PER_MONTH), 0)


def shrink(observed: float, n: float, parent: float, strength: float) -> float:
    """Beta-binomial (empirical-Bayes) shrinkage of ``observed`` (on ``n``) toward ``parent``.

    Without a sample the parent's value is used; without a parent value (NaN), the observed one.
    """
    if n <= 0 or math.isnan(observed):
        return parent
    if math.isnan(parent):
        return observed
    return (observed * n + strength * parent) / (n + strength)


# fct_funnel_rates rows by (level, (region, product_line, channel, deal_type, rep_id)).
RateRows = dict[tuple[str, tuple[str | None, ...]], Mapping[str, float]]


def index_rate_rows(frame: pd.DataFrame) -> RateRows:
    """Index ``fct_funnel_rates`` rows for :class:`RateBook`.

    The index holds every row as a dict (about 1.6 KB each: 0.7 GB for the 460k rows of the
    xlarge demo), so the books of several deal types over the same rows should share one.

    Raises:
        PlanningInputError: when a required column is missing.
    """
    require_columns("funnel_rates", frame)
    rows: RateRows = {}
    for record in frame.to_dict("records"):
        key = tuple(
            _text(record.get(column))
            for column in ("region", "product_line", "channel", "deal_type", "rep_id")
        )
        rows[(str(record["level"]), key)] = record
    return rows


class RateBook:
    """Looks up and smooths funnel rates from ``fct_funnel_rates`` for any node.

    Args:
        frame: ``fct_funnel_rates`` rows.
        prior_strength: ``k`` of the shrinkage.
        deal_type: the deal type of the stream, or ``None`` for all deal types.
        activity_types: activity types to require per opportunity.
        rows: ``index_rate_rows(frame)``, when already built (books of one frame share it).

    Raises:
        PlanningInputError: when the frame has no company-level row for the deal type, or its
            company rates are unusable (zero or missing).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        prior_strength: float,
        deal_type: str | None,
        activity_types: Sequence[str],
        rows: RateRows | None = None,
    ) -> None:
        if prior_strength < 0:
            raise ValueError(f"prior strength must be >= 0, not {prior_strength}")
        self.strength = prior_strength
        self.deal_type = deal_type
        self.activity_types = tuple(activity_types)
        self._rows = rows if rows is not None else index_rate_rows(frame)
        self._cache: dict[tuple[str | None, ...], FunnelRates] = {}
        company = self._find("company", None, None, None, None)
        if company is None:
            raise PlanningInputError(
                f"funnel_rates: no company-level row for deal type {deal_type or 'all'}; the "
                f"reverse funnel needs one as the root of the smoothing"
            )
        try:
            self.company = _rates_from_row(company, None, self.strength, self.activity_types)
        except (ValueError, TypeError) as error:
            raise PlanningInputError(f"funnel_rates, company level: {error}") from None

    def _find(
        self,
        level: str,
        region: str | None,
        product_line: str | None,
        channel: str | None,
        rep_id: str | None,
    ) -> Mapping[str, float] | None:
        # A deal-type stream reads only its deal type's rows: a level without one inherits its
        # parent's (same deal type) rather than the all-deal-types row.
        deal_types = [self.deal_type]
        if level == "rep":
            patterns = [
                (region, product_line, channel),
                (region, product_line, None),
                (region, None, None),
                (None, None, None),
            ]
        else:
            patterns = [(region, product_line, channel)]
        for deal_type in deal_types:
            for r, p, c in patterns:
                row = self._rows.get((level, (r, p, c, deal_type, rep_id)))
                if row is not None:
                    return row
        return None

    def rates(
        self,
        region: str | None = None,
        product_line: str | None = None,
        channel: str | None = None,
        rep_id: str | None = None,
    ) -> FunnelRates:
        """Return the smoothed rates of the node with these keys (``None`` = not that deep)."""
        key = (region, product_line, channel, rep_id)
        if key in self._cache:
            return self._cache[key]
        if rep_id is not None:
            parent = self.rates(region, product_line, channel)
            row = self._find("rep", region, product_line, channel, rep_id)
        elif channel is not None:
            parent = self.rates(region, product_line)
            row = self._find("segment", region, product_line, channel, None)
        elif product_line is not None:
            parent = self.rates(region)
            row = self._find("region_product_line", region, product_line, None, None)
        elif region is not None:
            parent = self.company
            row = self._find("region", region, None, None, None)
        else:
            return self.company
        result = (
            parent
            if row is None
            else _rates_from_row(row, parent, self.strength, self.activity_types)
        )
        self._cache[key] = result
        return result


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _number(row: Mapping[str, object], column: str) -> float:
    value = row.get(column)
    if value is None:
        return math.nan
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number


def _sample(row: Mapping[str, object], column: str) -> float:
    value = _number(row, column)
    return 0.0 if math.isnan(value) or value < 0 else value


def _rates_from_row(
    row: Mapping[str, object],
    parent: FunnelRates | None,
    strength: float,
    activity_types: Sequence[str],
) -> FunnelRates:
    """Rates of one row, shrunk toward ``parent`` (``None``: the root, taken as observed)."""

    def smooth(column: str, sample_column: str, fallback: float) -> float:
        observed = _number(row, column)
        if parent is None:
            required = column in ("win_rate", "avg_won_amount")
            if math.isnan(observed) and required:
                raise ValueError(f"{column} is missing")
            return observed  # lags and cycle quantiles may be missing: counted as 0 days
        n = _sample(row, sample_column)
        value = shrink(observed, n, fallback, strength)
        if column in RATE_SAMPLES and value <= 0:
            # a rate of zero with no prior to pull it up (e.g. 0 of 1 SQLs converted): use
            # Laplace's rule of succession instead of an infinite requirement
            value = (observed * n + 1) / (n + 2)
        return value

    def parent_value(name: str) -> float:
        return getattr(parent, name) if parent is not None else math.nan

    values = {
        column: smooth(column, sample, parent_value(column))
        for column, sample in {**RATE_SAMPLES, **AVERAGE_SAMPLES}.items()
        if not column.startswith("cycle_days")
    }
    cycle_sample = "n_cycle_deals" if "n_cycle_deals" in row else "n_won"
    cycle = tuple(
        smooth(
            f"cycle_days_{quantile}",
            cycle_sample,
            parent.cycle_days[i] if parent is not None else math.nan,
        )
        for i, quantile in enumerate(CYCLE_QUANTILES)
    )
    # activities per opportunity are measured on the opportunities created in the window
    activity_sample = (
        "n_opportunities_created_in_window"
        if "n_opportunities_created_in_window" in row
        else "n_opportunities_closed"
    )
    activities = {}
    for kind in activity_types:
        column = f"{ACTIVITY_PLURALS[kind]}_per_opportunity"
        inherited = (parent.activities_per_opportunity or {}).get(kind, 0.0) if parent else 0.0
        observed = _number(row, column)
        if parent is None:
            activities[kind] = 0.0 if math.isnan(observed) else observed
        else:
            n = _sample(row, activity_sample)
            activities[kind] = shrink(observed, n, inherited, strength)
    rates = FunnelRates(
        lead_to_mql_rate=values["lead_to_mql_rate"],
        mql_to_sql_rate=values["mql_to_sql_rate"],
        sql_to_opportunity_rate=values["sql_to_opportunity_rate"],
        win_rate=values["win_rate"],
        avg_won_amount=values["avg_won_amount"],
        lead_to_mql_days=_or_zero(values["lead_to_mql_days"]),
        mql_to_sql_days=_or_zero(values["mql_to_sql_days"]),
        sql_to_opportunity_days=_or_zero(values["sql_to_opportunity_days"]),
        cycle_days=tuple(_or_zero(value) for value in cycle),  # type: ignore[arg-type]
        activities_per_opportunity=activities,
    )
    return rates


def _or_zero(value: float) -> float:
    return 0.0 if math.isnan(value) else value


@dataclass(frozen=True)
class FunnelRow:
    """The requirement of one leaf for one target month and start month."""

    leaf: int
    month: dt.date
    start_month: dt.date
    lead_start_month: dt.date
    target: int
    requirement: Requirement


def leaf_requirements(
    target: int,
    month: dt.date,
    rates: FunnelRates,
    minor_units: int,
    leaf: int = 0,
) -> list[FunnelRow]:
    """Split one leaf-month target over its start months and compute each part's funnel work.

    The target (minor units) is split exactly over the four cycle quartiles (equal shares,
    largest remainder), and quartiles that start in the same month are merged; each part's
    requirement is computed from its amount, so the parts add up to the month's requirement.
    """
    amounts = largest_remainder(target, CYCLE_WEIGHTS)
    lead_lag = lead_lag_months(rates)
    merged: dict[dt.date, int] = {}
    for months_back, amount in zip(cycle_lag_months(rates), amounts, strict=True):
        start = add_months(month, -months_back)
        merged[start] = merged.get(start, 0) + int(amount)
    rows = []
    for start, amount in sorted(merged.items()):
        requirement = required_funnel(amount / minor_units, rates)
        rows.append(
            FunnelRow(
                leaf=leaf,
                month=month,
                start_month=start,
                lead_start_month=add_months(start, -lead_lag),
                target=amount,
                requirement=requirement,
            )
        )
    return rows


def cycle_lag_months(rates: FunnelRates) -> tuple[int, ...]:
    """Whole months between creating an opportunity and winning it, per cycle quartile."""
    return tuple(max(round(days / DAYS_PER_MONTH), 0) for days in rates.cycle_days)


def with_rates(rates: FunnelRates, **changes: float) -> FunnelRates:
    """Return ``rates`` with some fields replaced (for what-if and tests)."""
    return replace(rates, **changes)
