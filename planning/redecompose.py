"""Monthly re-decomposition of one target stream: remaining = annual target - actuals to date.

For as-of month ``M`` of fiscal year ``Y``:

1. **Remaining.** The company's remaining target is its annual target minus its actuals in the
   closed months of ``Y`` (months before ``M``), floored at zero.
2. **Over time.** The remaining target is spread over the open months (``M`` to the end of
   ``Y``) by the stream's time method, keeping locked company months.
3. **Down the hierarchy.** Top-down, each parent's open-month targets are split among its
   children by the level's allocation method (:mod:`planning.allocate`), month by month, with
   exact integer rounding, after placing locked cells and children with a fixed annual target
   (:func:`planning.locks.split_parent`). Children therefore sum exactly to their parent in
   every month, and every coarser period is a sum of months, so also in every quarter, year and
   (after the week split) week.
4. **Closed months never change.** Their targets are copied from the previous plan version.
   Without a previous version of the same fiscal year (a first run mid-year), the closed months
   are reconstructed by planning the whole year as of its first month (the *baseline*), using
   only actuals from before the year; the baseline is also the ``original_target``.

Per leaf and month the plan holds the *period target* (the target in effect for the month, frozen
once closed), the actual (closed months) and the *adjusted target*: the actual for a closed month
and the period target for an open one, so that a node's adjusted full-year target is what it
must end the year at (for the company: the annual target).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

import numpy as np
import pandas as pd

from planning.allocate import WeightSources, make_method, weights_with_fallback
from planning.calendar import FiscalCalendar, WorkingDays
from planning.config import PlanningConfig, StreamConfig
from planning.hierarchy import (
    COMPANY,
    UNASSIGNED,
    LeafKey,
    NodePathError,
    Tree,
    build_tree,
    format_node,
    parse_node,
)
from planning.inputs import (
    PlanInputs,
    PlanningInputError,
    bad_value,
    date_or_none,
    row_ref,
    text_or_none,
)
from planning.locks import Adjustment, AnnualFix, CellFix, split_parent, spread_over_months
from planning.money import FloatArray, IntArray, to_minor
from salesplan.entities import TARGET_METRICS
from salesplan.months import add_months, format_month, month_end

T = TypeVar("T")
MEASURE_FRAME = {
    "bookings_amount": "bookings",
    "new_customers": "bookings",
    "collected_amount": "collections",
}


@dataclass(frozen=True)
class ScopeTarget:
    """An annual target row of one stream: a node's full-year amount (minor units)."""

    node: str
    amount: int
    floor_pct: float
    stretch_pct: float
    where: str


@dataclass(frozen=True)
class RepInfo:
    """What the planner needs to know about a rep."""

    rep_id: str
    region: str | None
    tier: str
    role: str
    hire_date: dt.date | None
    end_date: dt.date | None


@dataclass
class StreamData:
    """Everything about one stream that does not depend on the forecast or the adjustments.

    Built once per re-plan by :func:`prepare_stream`; :func:`allocate_open_months` then plans it
    for any forecast and set of adjustments (the plan-change waterfall re-plans it several times).
    """

    config: PlanningConfig
    stream: StreamConfig
    calendar: FiscalCalendar
    fiscal_year: int
    as_of: dt.date
    months: list[dt.date]
    n_closed: int
    tree: Tree
    segments: list[str]
    leaf_segment: np.ndarray
    history_months: list[dt.date]
    leaf_history: IntArray
    segment_history: IntArray
    company_history: dict[dt.date, int]
    leaf_eligible: np.ndarray
    leaf_lockable: np.ndarray
    leaf_capacity: FloatArray
    potentials: Mapping[tuple[str, str], float]
    company_target: ScopeTarget
    scope_targets: dict[str, ScopeTarget]
    reps: dict[str, RepInfo]
    partners: dict[str, tuple[str | None, str]]
    unassigned: set[int] = field(default_factory=set)

    @property
    def minor_units(self) -> int:
        """Minor units per major unit of this stream (1 for counts)."""
        return self.config.minor_units if self.stream.unit == "money" else 1

    @property
    def open_months(self) -> list[dt.date]:
        """The months being planned."""
        return self.months[self.n_closed :]

    def leaf_actuals(self) -> IntArray:
        """Actuals per leaf and fiscal month (zero for open months)."""
        result = np.zeros((len(self.tree.leaf_keys), 12), dtype=np.int64)
        index = {month: i for i, month in enumerate(self.history_months)}
        for m, month in enumerate(self.months[: self.n_closed]):
            if month in index:
                result[:, m] = self.leaf_history[:, index[month]]
        return result

    def money(self, minor: int) -> str:
        """Format minor units for messages (``1,234,567.89`` or a count)."""
        if self.minor_units == 1:
            return f"{minor:,}"
        return f"{minor / self.minor_units:,.2f}"

    def segment_span(self, node: str) -> tuple[int, int]:
        """Return the range of segment indices below a node at or above the segment grain."""
        start, end = self.tree.span[node]
        return int(self.leaf_segment[start]), int(self.leaf_segment[end - 1]) + 1


# --------------------------------------------------------------------------- preparation


def prepare_stream(
    inputs: PlanInputs,
    config: PlanningConfig,
    stream: StreamConfig,
    as_of: dt.date,
    *,
    previous_leaves: Sequence[str] = (),
    forecast_segments: Sequence[tuple[str, str, str]] = (),
    extra_leaves: Sequence[str] = (),
) -> StreamData | None:
    """Read one stream's inputs into a :class:`StreamData`, or ``None`` when it has no target.

    Args:
        inputs: the frames of the re-plan.
        config: the planning configuration.
        stream: the stream to prepare.
        as_of: the as-of month (first day).
        previous_leaves: leaf paths of the previous plan version (kept as leaves).
        forecast_segments: ``(region, product_line, channel)`` keys present in the forecast.
        extra_leaves: seller leaf paths named by adjustments (kept as leaves when the seller
            and the segment are known).

    Raises:
        PlanningInputError: for a missing required target, a bad target row, or bad actuals.
    """
    calendar = FiscalCalendar(config.fiscal_start_month)
    fiscal_year = calendar.fiscal_year(as_of)
    months = calendar.months(fiscal_year)
    n_closed = sum(1 for month in months if month < as_of)
    hierarchy = config.hierarchy

    target_rows = _target_rows(inputs, config, stream, fiscal_year)
    if not target_rows:
        if stream.required:
            raise PlanningInputError(
                f"annual_targets: no target for metric {stream.metric} in fiscal year "
                f"{fiscal_year}; planning.yml marks the stream required (add a row with "
                f"scope company)"
            )
        return None
    if COMPANY not in target_rows:
        first = next(iter(target_rows.values()))
        raise PlanningInputError(
            f"{first.where}: metric {stream.metric} has node targets for fiscal year "
            f"{fiscal_year} but no company target; add a row with scope company"
        )

    facts = _stream_facts(inputs, config, stream, as_of)
    reps = _cached(inputs, "reps.parsed", lambda: _read_reps(inputs, config))
    partners = _cached(inputs, "partners.parsed", lambda: _read_partners(inputs, config))
    first_fy_month = months[0]
    window_start = min(
        calendar.first_month(fiscal_year - 1),
        add_months(as_of, -max(level.months for level in stream.levels.values())),
    )
    recent = facts[facts["month"] >= window_start]

    # Segments: every region x product line x channel seen recently, in the forecast or the
    # previous version, plus the home regions of reps and partners.
    previous_keys = [_leaf_key_of_path(path, hierarchy) for path in previous_leaves]
    values: dict[str, set[str]] = {dimension: set() for dimension in hierarchy}
    for dimension in hierarchy:
        values[dimension].update(recent[dimension].unique())
    for region, product_line, channel in forecast_segments:
        values["region"].add(region)
        values["product_line"].add(product_line)
        values["channel"].add(channel)
    for key, _ in previous_keys:
        for dimension, value in zip(hierarchy, key, strict=False):
            values[dimension].add(value)
    fy_last = month_end(months[-1])
    active_reps = [
        rep
        for rep in reps.values()
        if rep.role == "rep"
        and rep.region is not None
        and (rep.hire_date is None or rep.hire_date <= fy_last)
        and (rep.end_date is None or rep.end_date >= first_fy_month)
    ]
    if "direct" in stream.leaves and active_reps:
        values["channel"].add("direct")
        values["region"].update(rep.region for rep in active_reps if rep.region)
    if "partner" in stream.leaves and partners:
        values["channel"].add("partner")
        values["region"].update(region for region, _ in partners.values() if region)
    if not values["product_line"]:
        raise PlanningInputError(
            f"{stream.metric}: no product line is known (no recent actuals, forecast or "
            f"previous plan); the hierarchy cannot be built"
        )

    leaves: dict[LeafKey, str] = {}
    segment_keys = [
        tuple(combo) for combo in _product(*(sorted(values[dimension]) for dimension in hierarchy))
    ]
    position = {dimension: i for i, dimension in enumerate(hierarchy)}
    for combo in segment_keys:
        channel = combo[position["channel"]]
        region = combo[position["region"]]
        seller_dimension = stream.leaves.get(channel, "")
        if not seller_dimension:
            leaves[(*combo, "")] = ""
            continue
        if seller_dimension == "rep_id":
            for rep in active_reps:
                if rep.region == region:
                    leaves[(*combo, rep.rep_id)] = "rep_id"
        else:
            for partner_id, (partner_region, _) in partners.items():
                if partner_region == region:
                    leaves[(*combo, partner_id)] = "partner_id"
    # Sellers who sold in a segment recently keep a leaf there while they can still sell (a rep
    # employed this year, any partner), and anyone who sold there this year keeps one for the
    # actuals; so do the leaves that adjustments name.
    employed_this_year = {rep.rep_id for rep in active_reps}
    fy_keys = set(
        recent.loc[recent["month"] >= first_fy_month, [*hierarchy, "seller"]].itertuples(
            index=False, name=None
        )
    )
    for key in recent[[*hierarchy, "seller"]].drop_duplicates().itertuples(index=False, name=None):
        seller_dimension = stream.leaves.get(key[position["channel"]], "")
        seller = key[-1]
        if (
            key in fy_keys
            or not seller_dimension
            or (seller_dimension == "rep_id" and seller in employed_this_year)
            or (seller_dimension == "partner_id" and seller in partners)
        ):
            leaves[key] = seller_dimension
    for path in extra_leaves:
        key, seller_dimension = _leaf_key_of_path(path, hierarchy, source="adjustments")
        known = all(value in values[d] for d, value in zip(hierarchy, key, strict=False))
        seller = key[-1]
        if (
            known
            and seller_dimension == stream.leaves.get(key[position["channel"]], "")
            and (
                (seller_dimension == "rep_id" and seller in reps)
                or (seller_dimension == "partner_id" and seller in partners)
            )
        ):
            leaves[key] = seller_dimension
    for key, seller_dimension in previous_keys:
        leaves[key] = seller_dimension

    # A seller segment needs the UNASSIGNED leaf when in some month of the year none of its
    # sellers can take a target (the baseline plans every month of the year).
    by_segment: dict[tuple[str, ...], list[LeafKey]] = {}
    for key, seller_dimension in leaves.items():
        if seller_dimension:
            by_segment.setdefault(key[:-1], []).append(key)
    for combo in segment_keys:
        seller_dimension = stream.leaves.get(combo[position["channel"]], "")
        if not seller_dimension:
            continue
        sellers = by_segment.get(combo, [])
        covered = np.zeros(12, dtype=bool)
        for key in sellers:
            covered |= _seller_eligibility(key, seller_dimension, hierarchy, months, reps, partners)
        if not covered.all():
            leaves[(*combo, UNASSIGNED)] = seller_dimension

    tree = build_tree(hierarchy, leaves.items())
    segments = [node for node in tree.nodes if tree.depth[node] == len(hierarchy)]
    segment_index = {node: i for i, node in enumerate(segments)}
    leaf_segment = np.array(
        [
            segment_index[format_node(tree.leaf_pairs(i)[: len(hierarchy)])]
            for i in range(len(tree.leaf_keys))
        ],
        dtype=np.int64,
    )

    # History at leaf and segment grain (segment grain keeps sellers that are not leaves).
    history_months = sorted(facts["month"].unique()) if len(facts) else []
    month_position = {month: i for i, month in enumerate(history_months)}
    {key: i for i, key in enumerate(tree.leaf_keys)}
    leaf_history = np.zeros((len(tree.leaf_keys), len(history_months)), dtype=np.int64)
    segment_history = np.zeros((len(segments), len(history_months)), dtype=np.int64)
    if len(facts):
        month_idx = facts["month"].map(month_position).to_numpy()
        amounts = facts["value"].to_numpy(dtype=np.int64)
        leaf_of_row = _positions(facts, [*hierarchy, "seller"], tree.leaf_keys)
        rows = leaf_of_row >= 0
        np.add.at(leaf_history, (leaf_of_row[rows], month_idx[rows]), amounts[rows])
        segment_keys_in_order = [
            tuple(tree.node_values(node)[dimension] for dimension in hierarchy) for node in segments
        ]
        segment_of_row = _positions(facts, list(hierarchy), segment_keys_in_order)
        rows = segment_of_row >= 0
        np.add.at(segment_history, (segment_of_row[rows], month_idx[rows]), amounts[rows])
    company_history = {
        month: int(total) for month, total in facts.groupby("month")["value"].sum().items()
    }

    eligible = np.zeros((len(tree.leaf_keys), 12), dtype=bool)
    lockable = np.ones((len(tree.leaf_keys), 12), dtype=bool)
    capacity = np.zeros((len(tree.leaf_keys), 12), dtype=np.float64)
    unassigned: set[int] = set()
    for i, key in enumerate(tree.leaf_keys):
        seller_dimension = tree.leaf_seller_dimension[i]
        if not seller_dimension:
            eligible[i] = True
            continue
        if key[-1] == UNASSIGNED:
            unassigned.add(i)
            continue
        eligible[i] = _seller_eligibility(key, seller_dimension, hierarchy, months, reps, partners)
        if seller_dimension == "rep_id":
            employed, ramp = _rep_months(reps[key[-1]], tuple(months), config.capacity.ramp)
            lockable[i] = employed > 0
            tier_weight = config.capacity.tier_weights.get(reps[key[-1]].tier, 0.0)
            capacity[i] = tier_weight * ramp * employed * eligible[i]
        else:
            _, tier = partners.get(key[-1], (None, ""))
            capacity[i] = config.capacity.partner_tier_weights.get(tier, 0.0) * eligible[i]

    scope_targets: dict[str, ScopeTarget] = {}
    for node, target in target_rows.items():
        if node != COMPANY and node not in tree.span:
            raise PlanningInputError(
                f"{target.where}: scope {node!r} is not a node of the {stream.metric} hierarchy "
                f"(unknown region, product line, channel, rep or partner)"
            )
        if node != COMPANY:
            scope_targets[node] = target

    return StreamData(
        config=config,
        stream=stream,
        calendar=calendar,
        fiscal_year=fiscal_year,
        as_of=as_of,
        months=months,
        n_closed=n_closed,
        tree=tree,
        segments=segments,
        leaf_segment=leaf_segment,
        history_months=history_months,
        leaf_history=leaf_history,
        segment_history=segment_history,
        company_history=company_history,
        leaf_eligible=eligible,
        leaf_lockable=lockable,
        leaf_capacity=capacity,
        potentials=_cached(inputs, "potentials.parsed", lambda: _read_potentials(inputs)),
        company_target=target_rows[COMPANY],
        scope_targets=scope_targets,
        reps=reps,
        partners=partners,
        unassigned=unassigned,
    )


def _cached(inputs: PlanInputs, key: str, compute: Callable[[], T]) -> T:
    """A value derived from the inputs, computed once per re-plan (all streams share it)."""
    if key not in inputs._cache:
        inputs._cache[key] = compute()
    return inputs._cache[key]  # type: ignore[return-value]


def _positions(
    frame: pd.DataFrame, columns: Sequence[str], keys: Sequence[tuple[str, ...]]
) -> np.ndarray:
    """Position of each row's ``columns`` values among ``keys`` (-1 when absent), vectorized."""
    if not keys:
        return np.full(len(frame), -1, dtype=np.int64)
    index = pd.MultiIndex.from_tuples(list(keys), names=list(columns))
    rows = pd.MultiIndex.from_frame(frame[list(columns)].astype(str))
    return index.get_indexer(rows)


def _product(*lists: Sequence[str]) -> list[tuple[str, ...]]:
    result: list[tuple[str, ...]] = [()]
    for values in lists:
        result = [(*prefix, value) for prefix in result for value in values]
    return result


def _leaf_key_of_path(
    path: str, hierarchy: Sequence[str], source: str = "previous plan version"
) -> tuple[LeafKey, str]:
    try:
        pairs = parse_node(path, hierarchy)
    except NodePathError as error:
        raise PlanningInputError(f"{source}: {error}") from None
    if len(pairs) < len(hierarchy):
        raise PlanningInputError(
            f"{source}: leaf {path!r} is above the segment grain of the current "
            f"hierarchy; a hierarchy change needs a new fiscal year"
        )
    values = tuple(value for _, value in pairs)
    if len(pairs) == len(hierarchy):
        return (*values, ""), ""
    return values, pairs[-1][0]


def _seller_eligibility(
    key: LeafKey,
    seller_dimension: str,
    hierarchy: Sequence[str],
    months: Sequence[dt.date],
    reps: Mapping[str, RepInfo],
    partners: Mapping[str, tuple[str | None, str]],
) -> np.ndarray:
    """Per fiscal month: may this seller leaf receive a new target?"""
    region = key[list(hierarchy).index("region")]
    seller = key[-1]
    if seller == UNASSIGNED:
        return np.zeros(len(months), dtype=bool)
    if seller_dimension == "rep_id":
        rep = reps.get(seller)
        if rep is None or rep.role != "rep" or rep.region != region:
            return np.zeros(len(months), dtype=bool)
        return _rep_months(rep, tuple(months), None)[0] > 0
    partner = partners.get(seller)
    ok = partner is not None and partner[0] == region
    return np.full(len(months), ok, dtype=bool)


@cache
def _rep_months(
    rep: RepInfo, months: tuple[dt.date, ...], ramp: tuple[float, ...] | None
) -> tuple[FloatArray, FloatArray]:
    """Per month: the share employed and the ramp factor (all ones without a ramp curve)."""
    employed = np.array([employed_share(rep, month) for month in months])
    if ramp is None:
        return employed, np.ones(len(months))
    tenure = [tenure_month(rep, month) for month in months]
    factors = [0.0 if t < 1 else ramp[t - 1] if t <= len(ramp) else 1.0 for t in tenure]
    return employed, np.array(factors)


def employed_share(rep: RepInfo, month: dt.date) -> float:
    """Share of the calendar days of ``month`` on which the rep was employed."""
    first, last = month, month_end(month)
    start = max(first, rep.hire_date) if rep.hire_date else first
    end = min(last, rep.end_date) if rep.end_date else last
    if end < start:
        return 0.0
    return ((end - start).days + 1) / ((last - first).days + 1)


def tenure_month(rep: RepInfo, month: dt.date) -> int:
    """The rep's month of tenure in ``month`` (1 = the hire month); large when unknown."""
    if rep.hire_date is None:
        return 10_000
    return (month.year - rep.hire_date.year) * 12 + month.month - rep.hire_date.month + 1


def _target_rows(
    inputs: PlanInputs, config: PlanningConfig, stream: StreamConfig, fiscal_year: int
) -> dict[str, ScopeTarget]:
    frame = inputs.frame("annual_targets")
    assert frame is not None
    minor = config.minor_units if stream.unit == "money" else 1
    result: dict[str, ScopeTarget] = {}
    for index, row in frame.iterrows():
        metric = text_or_none(row["metric"])
        if metric not in TARGET_METRICS:
            raise bad_value(
                "annual_targets",
                frame,
                index,
                "metric",
                f"unknown target metric; known: {', '.join(TARGET_METRICS)}",
            )
        try:
            year = int(row["fiscal_year"])
        except (TypeError, ValueError):
            raise bad_value("annual_targets", frame, index, "fiscal_year", "not a year") from None
        if metric != stream.metric or year != fiscal_year:
            continue
        try:
            node = format_node(parse_node(str(row["scope"]), config.hierarchy))
        except NodePathError as error:
            raise bad_value("annual_targets", frame, index, "scope", str(error)) from None
        amount = row["amount"]
        if amount is None or pd.isna(amount):
            raise bad_value("annual_targets", frame, index, "amount", "missing annual target")
        if float(amount) < 0:
            raise bad_value("annual_targets", frame, index, "amount", "targets cannot be negative")
        floor_pct = _pct(frame, index, "floor_pct", config.floor_pct, upper=1.0)
        stretch_pct = _pct(frame, index, "stretch_pct", config.stretch_pct, lower=1.0)
        where = row_ref("annual_targets", frame, index)
        if node in result:
            raise PlanningInputError(
                f"{where} and {result[node].where}: two annual targets for metric {metric}, "
                f"fiscal year {year}, scope {node}; keep one"
            )
        result[node] = ScopeTarget(
            node, int(to_minor([float(amount)], minor)[0]), floor_pct, stretch_pct, where
        )
    return result


def _pct(
    frame: pd.DataFrame,
    index: object,
    column: str,
    default: float,
    lower: float | None = None,
    upper: float | None = None,
) -> float:
    if column not in frame.columns or pd.isna(frame.at[index, column]):
        return default
    value = float(frame.at[index, column])
    if value < 0 or (upper is not None and value > upper) or (lower is not None and value < lower):
        bounds = f"between 0 and {upper}" if upper is not None else f"at least {lower}"
        raise bad_value("annual_targets", frame, index, column, f"must be {bounds}")
    return value


def _stream_facts(
    inputs: PlanInputs, config: PlanningConfig, stream: StreamConfig, as_of: dt.date
) -> pd.DataFrame:
    """The stream's actuals before ``as_of``, one row per segment, seller and month."""
    name = MEASURE_FRAME[stream.measure]
    frame = inputs.frame(name)
    columns = [*config.hierarchy, "seller", "month", "value"]
    if frame is None:
        raise PlanningInputError(
            f"{name}: missing input; stream {stream.metric} measures {stream.measure}"
        )
    if stream.measure not in frame.columns:
        raise PlanningInputError(
            f"{name}: missing column {stream.measure}, which stream {stream.metric} measures"
        )
    if frame.empty:
        return pd.DataFrame({column: [] for column in columns})
    for channel, dimension in stream.leaves.items():
        if dimension not in frame.columns:
            raise PlanningInputError(
                f"{name}: missing column {dimension}; stream {stream.metric} plans {channel} "
                f"sellers"
            )
    _cached(inputs, f"{name}.checked_keys", lambda: _check_fact_keys(name, frame))

    # Vectorized on integer codes (each column factorized once per re-plan, shared by every
    # stream that reads this frame): keep the rows, build one integer key per row, sum by key.
    months = inputs.months(name)
    month_codes, month_values = _cached(
        inputs, f"{name}.month.codes", lambda: pd.factorize(months, sort=True)
    )
    keep = (month_codes >= 0) & (np.asarray(month_values)[month_codes] < as_of)
    if stream.deal_types is not None:
        codes, uniques = inputs.factorized(name, "deal_type")
        wanted = np.array([value in stream.deal_types for value in uniques] + [False])
        keep &= wanted[codes]
    key = np.zeros(len(frame), dtype=np.int64)
    decoders: list[tuple[str, np.ndarray]] = []
    for dimension in config.hierarchy:
        codes, uniques = inputs.factorized(name, dimension)
        key = key * (len(uniques) + 1) + codes
        decoders.append((dimension, uniques))
    seller_codes, seller_names = _seller_codes(inputs, name, stream)
    key = key * (len(seller_names) + 1) + seller_codes
    key = key * (len(month_values) + 1) + month_codes
    values = _cached(
        inputs,
        f"{name}.{stream.measure}.minor.{stream.unit}",
        lambda: to_minor(
            pd.to_numeric(frame[stream.measure], errors="coerce").fillna(0.0).to_numpy(),
            config.minor_units if stream.unit == "money" else 1,
        ),
    )
    unique_keys, inverse = np.unique(key[keep], return_inverse=True)
    sums = np.bincount(inverse, weights=values[keep].astype(np.float64), minlength=len(unique_keys))
    # Decode the keys back into their columns (in the order they were combined).
    remainder = unique_keys.copy()
    month_index = remainder % (len(month_values) + 1)
    remainder //= len(month_values) + 1
    seller_index = remainder % (len(seller_names) + 1)
    remainder //= len(seller_names) + 1
    decoded: dict[str, np.ndarray] = {}
    for dimension, uniques in reversed(decoders):
        decoded[dimension] = np.asarray(uniques, dtype=object)[remainder % (len(uniques) + 1)]
        remainder //= len(uniques) + 1
    return pd.DataFrame(
        {
            **{dimension: decoded[dimension] for dimension in config.hierarchy},
            "seller": np.asarray(seller_names, dtype=object)[seller_index],
            "month": np.asarray(month_values, dtype=object)[month_index],
            # sums of integers below 2**53 are exact in float64
            "value": np.round(sums).astype(np.int64),
        }
    )


def _check_fact_keys(name: str, frame: pd.DataFrame) -> bool:
    """Segment keys must be present and channels known (checked once per input frame)."""
    for column in ("region", "product_line", "channel"):
        missing = frame[column].isna()
        if missing.any():
            raise bad_value(name, frame, frame.index[missing][0], column, "missing value")
    bad_channel = ~frame["channel"].isin(("direct", "partner"))
    if bad_channel.any():
        raise bad_value(
            name, frame, frame.index[bad_channel][0], "channel", "must be direct or partner"
        )
    return True


def _seller_codes(
    inputs: PlanInputs, name: str, stream: StreamConfig
) -> tuple[np.ndarray, list[str]]:
    """Per row, the code of its seller for this stream's leaves ("" where the branch has none).

    A direct row's seller is its rep, a partner row's its partner, when the stream's branch for
    that channel ends at sellers; missing ids become ``UNASSIGNED``.
    """
    channel_codes, channels = inputs.factorized(name, "channel")
    names: list[str] = [""]
    codes = np.zeros(len(channel_codes), dtype=np.int64)
    for channel, dimension in sorted(stream.leaves.items()):
        ids, id_values = inputs.factorized(name, dimension)
        position = list(channels).index(channel) if channel in channels else -2
        rows = channel_codes == position
        labels = [
            UNASSIGNED if value in ("", "None", "nan", "<NA>") else value for value in id_values
        ]
        offset = len(names)
        distinct = sorted(set(labels) | {UNASSIGNED})
        names.extend(distinct)
        lookup = np.array([offset + distinct.index(label) for label in labels] + [0])
        unassigned = offset + distinct.index(UNASSIGNED)
        codes[rows] = np.where(ids[rows] >= 0, lookup[ids[rows]], unassigned)
    return codes, names


def _read_reps(inputs: PlanInputs, config: PlanningConfig) -> dict[str, RepInfo]:
    frame = inputs.frame("reps")
    result: dict[str, RepInfo] = {}
    if frame is None:
        return result
    for index, row in frame.iterrows():
        rep_id = text_or_none(row["rep_id"])
        if rep_id is None:
            raise bad_value("reps", frame, index, "rep_id", "missing rep_id")
        if rep_id in result:
            raise bad_value("reps", frame, index, "rep_id", "duplicate rep_id")
        tier = text_or_none(row["tier"]) or "C"
        if tier not in config.capacity.tier_weights:
            raise bad_value(
                "reps",
                frame,
                index,
                "tier",
                f"unknown tier; planning.yml weighs {', '.join(config.capacity.tier_weights)}",
            )
        try:
            hire = date_or_none(row["hire_date"])
            end = date_or_none(row["end_date"])
        except ValueError:
            column = "hire_date" if _date_or_none_safe(row["hire_date"]) is None else "end_date"
            raise bad_value("reps", frame, index, column, "not a date") from None
        if hire is not None and end is not None and end < hire:
            raise bad_value("reps", frame, index, "end_date", f"before hire_date {hire}")
        result[rep_id] = RepInfo(
            rep_id=rep_id,
            region=text_or_none(row["region"]),
            tier=tier,
            role=text_or_none(row["role"]) or "rep",
            hire_date=hire,
            end_date=end,
        )
    return result


def _date_or_none_safe(value: object) -> dt.date | None:
    """Return the date of a cell, or ``None`` when it is empty or unreadable."""
    try:
        return date_or_none(value)
    except ValueError:
        return None


def _read_partners(inputs: PlanInputs, config: PlanningConfig) -> dict[str, tuple[str | None, str]]:
    frame = inputs.frame("partners")
    result: dict[str, tuple[str | None, str]] = {}
    if frame is None:
        return result
    for index, row in frame.iterrows():
        partner_id = text_or_none(row["partner_id"])
        if partner_id is None:
            raise bad_value("partners", frame, index, "partner_id", "missing partner_id")
        if partner_id in result:
            raise bad_value("partners", frame, index, "partner_id", "duplicate partner_id")
        tier = text_or_none(row["tier"]) or "bronze"
        if tier not in config.capacity.partner_tier_weights:
            raise bad_value("partners", frame, index, "tier", "unknown partner tier")
        result[partner_id] = (text_or_none(row["region"]), tier)
    return result


def _read_potentials(inputs: PlanInputs) -> dict[tuple[str, str], float]:
    frame = inputs.frame("potentials")
    if frame is None:
        return {}
    result: dict[tuple[str, str], float] = {}
    for index, row in frame.iterrows():
        value = pd.to_numeric(pd.Series([row["potential"]]), errors="coerce").iloc[0]
        if pd.isna(value):
            continue
        if value < 0:
            raise bad_value("potentials", frame, index, "potential", "cannot be negative")
        result[(str(row["dimension"]), str(row["value"]))] = float(value)
    return result


# --------------------------------------------------------------------------- allocation


def company_month_weights(
    data: StreamData, open_months: Sequence[dt.date], company_forecast: FloatArray | None
) -> FloatArray:
    """Weights of the open months for the company's remaining target (the time method).

    ``seasonal_history`` averages, over the last ``years`` complete fiscal years in the history,
    each month's share of its year *per working day*, and multiplies by this year's working
    days of the month; so a month that lost selling days to the Spring Festival this year (but
    not last year) gets a smaller share. Without a complete year of history it falls back to
    working days. ``forecast`` falls back to ``seasonal_history`` when any open month has no
    positive forecast.
    """
    working = WorkingDays(data.config.calendar)
    days = np.array([working.month_weight(month) for month in open_months])
    method = data.stream.time.method
    if method == "forecast":
        if company_forecast is not None and np.all(company_forecast > 0):
            return company_forecast.astype(np.float64)
        method = "seasonal_history"
    if method == "even":
        return np.ones(len(open_months))
    if method == "working_days":
        return days
    profile = _seasonal_profile(data, working)
    if profile is None:
        return days
    index = [data.months.index(month) for month in open_months]
    return profile[index] * days


def _seasonal_profile(data: StreamData, working: WorkingDays) -> FloatArray | None:
    """Average per-working-day share of each fiscal month over complete past years."""
    if not data.company_history:
        return None
    first_known = min(data.company_history)
    shares = []
    for back in range(1, 30):
        year = data.fiscal_year - back
        months = data.calendar.months(year)
        if months[0] < first_known or len(shares) >= data.stream.time.years:
            break
        if months[-1] >= data.as_of:
            continue
        sales = np.array([max(data.company_history.get(month, 0), 0) for month in months])
        if sales.sum() <= 0:
            continue
        per_day = sales / np.array([working.month_weight(month) for month in months])
        shares.append(per_day / per_day.sum())
    if not shares:
        return None
    return np.mean(shares, axis=0)


def allocate_open_months(
    data: StreamData,
    *,
    n_closed: int,
    leaf_forecast: FloatArray,
    adjustments: Sequence[Adjustment],
    closed_targets: IntArray | None = None,
) -> IntArray:
    """Plan the open months of one stream: the period target per leaf and fiscal month.

    Args:
        data: the prepared stream.
        n_closed: how many fiscal months are closed (``data.n_closed``, or 0 for the baseline).
        leaf_forecast: forecast per leaf and fiscal month in minor units (each segment's value
            on its first leaf), zero where there is none.
        adjustments: this stream's adjustments for open months and the year.
        closed_targets: frozen targets of the closed months, shape ``(leaves, n_closed)``.

    Returns:
        Shape ``(leaves, 12)``: closed months from ``closed_targets``, open months planned.

    Raises:
        InfeasibleLockError: when locks or fixed targets cannot all hold.
        PlanningInputError: for an adjustment of an unknown node or a rep who has left.
    """
    tree = data.tree
    months = data.months
    open_months = months[n_closed:]
    as_of = open_months[0] if open_months else add_months(months[-1], 1)
    actuals = data.leaf_actuals()
    actuals[:, n_closed:] = 0
    node_actuals = tree.aggregate(actuals.sum(axis=1))
    node_index = {node: i for i, node in enumerate(tree.nodes)}
    result = np.zeros((len(tree.leaf_keys), 12), dtype=np.int64)
    if closed_targets is not None and n_closed:
        result[:, :n_closed] = closed_targets[:, :n_closed]
    if not open_months:
        return result

    sources = WeightSources(
        tree=tree,
        open_months=list(open_months),
        as_of=as_of,
        prior_year_months=data.calendar.months(data.fiscal_year - 1),
        history_months=data.history_months,
        leaf_history=data.leaf_history,
        leaf_forecast=leaf_forecast[:, n_closed:],
        has_forecast=leaf_forecast[:, n_closed:].sum(axis=0) > 0,
        leaf_capacity=data.leaf_capacity[:, n_closed:],
        leaf_eligible=data.leaf_eligible[:, n_closed:],
        potentials=data.potentials,
        segment_history=data.segment_history,
        leaf_segment=data.leaf_segment,
    )

    cell_fixes: dict[str, dict[int, CellFix]] = {}
    annual_fixes: dict[str, AnnualFix] = {}
    for node, target in data.scope_targets.items():
        remaining = max(target.amount - int(node_actuals[node_index[node]]), 0)
        annual_fixes[node] = AnnualFix(remaining, hard=False, where=target.where)
    company_total = data.company_target.amount
    company_where = data.company_target.where
    company_hard = False
    for adjustment in adjustments:
        if adjustment.node not in tree.span:
            raise PlanningInputError(
                f"{adjustment.where}, column node, value {adjustment.node!r}: unknown hierarchy "
                f"node for metric {adjustment.metric}"
            )
        if adjustment.month is None:
            if adjustment.node == COMPANY:
                company_total, company_where = adjustment.value, adjustment.where
                company_hard = adjustment.locked
                continue
            actual = int(node_actuals[node_index[adjustment.node]])
            remaining = adjustment.value - actual
            if remaining < 0 and adjustment.locked:
                raise _below_actuals(data, adjustment, actual)
            annual_fixes[adjustment.node] = AnnualFix(
                max(remaining, 0), hard=adjustment.locked, where=adjustment.where
            )
            continue
        if adjustment.month < as_of:
            continue
        m = open_months.index(adjustment.month)
        if tree.is_leaf(adjustment.node) and adjustment.value > 0:
            leaf = tree.span[adjustment.node][0]
            if not data.leaf_lockable[leaf, n_closed + m]:
                raise PlanningInputError(
                    f"{adjustment.where}: {adjustment.node} cannot take a target in "
                    f"{format_month(adjustment.month)}: the rep is not employed that month "
                    f"(left or not yet started)"
                )
        cell_fixes.setdefault(adjustment.node, {})[m] = CellFix(
            adjustment.value, adjustment.locked, adjustment.where
        )

    # Locked month cells are floors for every ancestor in that month (top-down meets
    # bottom-up): a parent never gets less than the locks below it need.
    floors: dict[str, IntArray] = {}
    for node in reversed(tree.nodes):
        floor = np.zeros(len(open_months), dtype=np.int64)
        for child in tree.children[node]:
            floor += floors[child]
        for m, fix in cell_fixes.get(node, {}).items():
            if fix.hard:
                floor[m] = max(int(floor[m]), fix.value)
        floors[node] = floor

    company_actual = int(node_actuals[0])
    remaining = company_total - company_actual
    if remaining < 0 and company_hard:
        raise PlanningInputError(
            f"{company_where}: the company's locked full-year value {data.money(company_total)} "
            f"is below its actuals to date {data.money(company_actual)}"
        )
    remaining = max(remaining, 0)
    company_forecast = sources.node_forecast(COMPANY) if sources.has_forecast.all() else None
    company_weights = company_month_weights(data, open_months, company_forecast)
    vectors: dict[str, IntArray] = {
        COMPANY: spread_over_months(
            COMPANY,
            remaining,
            company_weights,
            months=open_months,
            cell_fixes=cell_fixes.get(COMPANY),
            floors=floors[COMPANY],
            money=data.money,
        )
    }
    del company_where

    for node in tree.nodes:
        children = tree.children[node]
        if not children:
            start, _ = tree.span[node]
            result[start, n_closed:] = vectors.pop(node)
            continue
        level = tree.level(children[0])
        spec = data.stream.levels[level]
        method = make_method(spec)
        fallback = make_method(spec.fallback, spec.months)
        weights = weights_with_fallback(method, fallback, sources, children)
        eligible = np.vstack([sources.eligible(child) for child in children])
        lockable = np.vstack([_lockable(data, child, n_closed) for child in children])
        child_cells = {
            (c, m): fix
            for c, child in enumerate(children)
            for m, fix in cell_fixes.get(child, {}).items()
        }
        child_annual = {
            c: annual_fixes[child] for c, child in enumerate(children) if child in annual_fixes
        }
        unassigned = next(
            (c for c, child in enumerate(children) if child.endswith(f"={UNASSIGNED}")), None
        )
        split = split_parent(
            node,
            vectors.pop(node),
            children,
            weights,
            eligible,
            lockable=lockable,
            months=open_months,
            cell_fixes=child_cells,
            annual_fixes=child_annual,
            unassigned=unassigned,
            floors=np.vstack([floors[child] for child in children]),
            money=data.money,
        )
        for c, child in enumerate(children):
            vectors[child] = split[c]
    return result


def _lockable(data: StreamData, node: str, n_closed: int) -> np.ndarray:
    """Per open month: may a lock or fixed annual target place a value on this node?"""
    if not data.tree.is_leaf(node):
        return np.ones(12 - n_closed, dtype=bool)
    return data.leaf_lockable[data.tree.span[node][0], n_closed:]


def _below_actuals(data: StreamData, adjustment: Adjustment, actual: int) -> PlanningInputError:
    return PlanningInputError(
        f"{adjustment.where}: the locked full-year value {data.money(adjustment.value)} of "
        f"{adjustment.node} is below its actuals to date {data.money(actual)}; a lock cannot "
        f"undo sales already made"
    )
