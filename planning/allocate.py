"""Allocation methods: how a parent's target is shared among its children.

Each method is a small class, validated at construction, whose :meth:`~AllocationMethod.weights`
returns one non-negative weight per child and remaining month. The parent's amount of each
month is then split exactly by those weights (:func:`planning.money.largest_remainder`), so a
method only decides *proportions*; exactness, locks and rounding live elsewhere.

Methods (the ``method`` of a level in planning.yml):

* ``history`` (:class:`ProportionalToHistory`): each child's share of the parent's actuals over
  the trailing ``months`` closed months. Example: EAST sold 30 and SOUTH 10 in the last twelve
  months, so a remaining 1,000 splits 750 / 250.
* ``prior_year`` (:class:`ProportionalToPriorYear`): shares of the previous fiscal year.
* ``forecast`` (:class:`ProportionalToForecast`): each child's share of the forecast, month by
  month: if November's forecast is 60 for EAST and 40 for SOUTH, November's 1,000 splits 600 / 400.
  Only for levels at or above the forecast grain (region x product line x channel).
* ``potential`` (:class:`PotentialWeighted`): shares of market potential (``potentials`` input,
  e.g. ``regions.market_potential``): potentials 9.0e9 and 3.0e9 split 1,000 into 750 / 250.
* ``capacity`` (:class:`CapacityWeighted`): sales capacity, headcount x productivity. A rep's
  capacity in a month is ``tier weight x ramp(tenure) x share of the month employed``; a partner's
  is its tier weight; a segment's is the sum over its direct reps. Two reps, tier A (1.3) fully
  ramped and tier B (1.0) in their second month (ramp 0.4), split 1,000 as 1.3 : 0.4, 765 / 235.
* ``even`` (:class:`EvenSplit`): equal shares: 1,000 over three reps is 334 / 333 / 333.

Whatever the method, a rep gets no new target in a month in which they are not employed (before
their hire month or after they left), nor outside their home region; the ``UNASSIGNED`` seller
only gets a target when no one else can take it. A parent whose children all weigh zero uses
the level's ``fallback`` method, and an even split among the eligible children if that is all
zero too (see :func:`weights_with_fallback`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from planning.config import ALLOCATION_METHODS, LevelMethod
from planning.hierarchy import Tree
from planning.money import FloatArray, IntArray
from salesplan.months import add_months


@dataclass
class WeightSources:
    """What allocation methods weigh, at leaf grain, for one stream and as-of month.

    Attributes:
        tree: the stream's tree.
        open_months: the months being planned (as-of month to fiscal year end).
        as_of: the as-of month (first closed month before it is ``as_of - 1``).
        prior_year_months: the months of the previous fiscal year.
        history_months: months of ``leaf_history`` columns, ascending.
        leaf_history: actuals per leaf and history month (minor units).
        leaf_forecast: forecast per leaf and open month; each segment's forecast sits on its
            first leaf so that sums over a node at or above the segment grain are exact.
        has_forecast: per open month, whether any forecast exists for it.
        leaf_capacity: capacity per leaf and open month (reps and partners; others 0).
        leaf_eligible: per leaf and open month, whether the leaf may receive a new target.
        potentials: ``(dimension, value) -> potential``.
        segment_history: actuals per segment (region x product line x channel) and history
            month, counting every seller, also those that are no longer leaves (reps who left
            before this fiscal year); used for nodes at or above the segment grain.
        leaf_segment: the segment index of every leaf (with ``segment_history``).
    """

    tree: Tree
    open_months: list[dt.date]
    as_of: dt.date
    prior_year_months: list[dt.date]
    history_months: list[dt.date]
    leaf_history: IntArray
    leaf_forecast: FloatArray
    has_forecast: np.ndarray
    leaf_capacity: FloatArray
    leaf_eligible: np.ndarray
    potentials: Mapping[tuple[str, str], float]
    segment_history: IntArray | None = None
    leaf_segment: np.ndarray | None = None
    _window_cache: dict[tuple[str, dt.date, dt.date], FloatArray] = field(default_factory=dict)

    @cached_property
    def _month_index(self) -> dict[dt.date, int]:
        return {month: index for index, month in enumerate(self.history_months)}

    def _window_cumsum(self, history: IntArray, first: dt.date, last: dt.date) -> FloatArray:
        columns = [index for month, index in self._month_index.items() if first <= month <= last]
        totals = history[:, columns].sum(axis=1) if columns else np.zeros(history.shape[0])
        return np.concatenate([[0.0], np.cumsum(totals, dtype=np.float64)])

    @cached_property
    def _cum_forecast(self) -> FloatArray:
        return _cumulative(self.leaf_forecast)

    @cached_property
    def _cum_capacity(self) -> FloatArray:
        return _cumulative(self.leaf_capacity)

    def node_window_total(self, node: str, first: dt.date, last: dt.date) -> float:
        """Return the node's actuals over the months ``first..last`` (both included)."""
        start, end = self.tree.span[node]
        by_segment = self.segment_history is not None and self.leaf_segment is not None
        if by_segment and self.tree.depth[node] <= len(self.tree.hierarchy):
            key = ("segment", first, last)
            if key not in self._window_cache:
                self._window_cache[key] = self._window_cumsum(self.segment_history, first, last)
            start, end = int(self.leaf_segment[start]), int(self.leaf_segment[end - 1]) + 1
        else:
            key = ("leaf", first, last)
            if key not in self._window_cache:
                self._window_cache[key] = self._window_cumsum(self.leaf_history, first, last)
        cumulative = self._window_cache[key]
        return float(cumulative[end] - cumulative[start])

    def node_forecast(self, node: str) -> FloatArray:
        """Return the node's forecast per open month."""
        start, end = self.tree.span[node]
        return self._cum_forecast[end] - self._cum_forecast[start]

    def node_capacity(self, node: str) -> FloatArray:
        """Return the node's capacity per open month."""
        start, end = self.tree.span[node]
        return self._cum_capacity[end] - self._cum_capacity[start]

    def eligible(self, node: str) -> np.ndarray:
        """Per open month: can the node take a new target (a leaf that is eligible, or a parent)?"""
        if not self.tree.is_leaf(node):
            return np.ones(len(self.open_months), dtype=bool)
        start, _ = self.tree.span[node]
        return self.leaf_eligible[start]


def _cumulative(values: FloatArray) -> FloatArray:
    zeros = np.zeros((1, values.shape[1]), dtype=np.float64)
    return np.concatenate([zeros, np.cumsum(values, axis=0, dtype=np.float64)], axis=0)


class AllocationMethod:
    """Base class: one weight per child and open month, non-negative."""

    name = "base"

    def weights(self, sources: WeightSources, children: Sequence[str]) -> FloatArray:
        """Return the weights, shape ``(len(children), len(open_months))``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ProportionalToHistory(AllocationMethod):
    """Share of the trailing ``months`` closed months of actuals (constant across months)."""

    name = "history"

    def __init__(self, months: int = 12) -> None:
        if isinstance(months, bool) or not isinstance(months, int) or months < 1:
            raise ValueError(f"history needs a trailing window of at least 1 month, not {months!r}")
        self.months = months

    def weights(self, sources: WeightSources, children: Sequence[str]) -> FloatArray:
        """Return each child's trailing actuals, repeated for every open month."""
        last = add_months(sources.as_of, -1)
        first = add_months(sources.as_of, -self.months)
        totals = np.array([sources.node_window_total(c, first, last) for c in children])
        return _repeat(np.maximum(totals, 0.0), len(sources.open_months))

    def __repr__(self) -> str:
        return f"ProportionalToHistory(months={self.months})"


class ProportionalToPriorYear(AllocationMethod):
    """Share of the previous fiscal year's actuals (constant across months)."""

    name = "prior_year"

    def weights(self, sources: WeightSources, children: Sequence[str]) -> FloatArray:
        """Return each child's actuals in the previous fiscal year."""
        first, last = sources.prior_year_months[0], sources.prior_year_months[-1]
        totals = np.array([sources.node_window_total(c, first, last) for c in children])
        return _repeat(np.maximum(totals, 0.0), len(sources.open_months))


class ProportionalToForecast(AllocationMethod):
    """Share of the forecast, month by month (levels at or above the forecast grain)."""

    name = "forecast"

    def weights(self, sources: WeightSources, children: Sequence[str]) -> FloatArray:
        """Return each child's forecast per open month."""
        rows = [sources.node_forecast(child) for child in children]
        return np.maximum(np.vstack(rows), 0.0) if rows else _empty(sources)


class PotentialWeighted(AllocationMethod):
    """Share of market potential of the child's own dimension value (missing = 0)."""

    name = "potential"

    def weights(self, sources: WeightSources, children: Sequence[str]) -> FloatArray:
        """Return each child's potential, repeated for every open month."""
        values = []
        for child in children:
            dimension, value = sources.tree.pairs[child][-1]
            values.append(max(float(sources.potentials.get((dimension, value), 0.0)), 0.0))
        return _repeat(np.array(values, dtype=np.float64), len(sources.open_months))


class CapacityWeighted(AllocationMethod):
    """Headcount x productivity: the capacity of the reps (or partners) below each child."""

    name = "capacity"

    def weights(self, sources: WeightSources, children: Sequence[str]) -> FloatArray:
        """Return each child's capacity per open month."""
        rows = [sources.node_capacity(child) for child in children]
        return np.vstack(rows) if rows else _empty(sources)


class EvenSplit(AllocationMethod):
    """Equal weights."""

    name = "even"

    def weights(self, sources: WeightSources, children: Sequence[str]) -> FloatArray:
        """Return ones."""
        return np.ones((len(children), len(sources.open_months)), dtype=np.float64)


def make_method(spec: LevelMethod | str, months: int = 12) -> AllocationMethod:
    """Return the method object for a level's configured method name.

    Raises:
        ValueError: naming the known methods when the name is unknown.
    """
    name = spec.method if isinstance(spec, LevelMethod) else spec
    months = spec.months if isinstance(spec, LevelMethod) else months
    if name == "history":
        return ProportionalToHistory(months)
    if name == "prior_year":
        return ProportionalToPriorYear()
    if name == "forecast":
        return ProportionalToForecast()
    if name == "potential":
        return PotentialWeighted()
    if name == "capacity":
        return CapacityWeighted()
    if name == "even":
        return EvenSplit()
    raise ValueError(f"unknown allocation method {name!r}; known: {', '.join(ALLOCATION_METHODS)}")


def weights_with_fallback(
    method: AllocationMethod,
    fallback: AllocationMethod,
    sources: WeightSources,
    children: Sequence[str],
) -> FloatArray:
    """Return the children's weights per open month, resolving zero-weight parents.

    Children that may not take a new target in a month (reps not employed, reps outside their
    home region, the ``UNASSIGNED`` seller) get weight 0 in it. For every month in which all
    eligible children weigh zero, the fallback method's weights are used; if those are all zero
    as well, the eligible children share evenly. A month with no eligible child keeps all-zero
    weights: the caller gives it to the ``UNASSIGNED`` seller.
    """
    eligible = np.vstack([sources.eligible(child) for child in children]).astype(np.float64)
    weights = method.weights(sources, children) * eligible
    zero = weights.sum(axis=0) <= 0.0
    if zero.any():
        backup = fallback.weights(sources, children) * eligible
        weights[:, zero] = backup[:, zero]
        still = weights.sum(axis=0) <= 0.0
        if still.any():
            weights[:, still] = eligible[:, still]
    return weights


def _repeat(values: FloatArray, months: int) -> FloatArray:
    return np.repeat(values.reshape(-1, 1), months, axis=1).astype(np.float64)


def _empty(sources: WeightSources) -> FloatArray:
    return np.zeros((0, len(sources.open_months)), dtype=np.float64)
