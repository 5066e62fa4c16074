import datetime as dt

import numpy as np
import pytest

from planning.allocate import (
    CapacityWeighted,
    EvenSplit,
    PotentialWeighted,
    ProportionalToForecast,
    ProportionalToHistory,
    ProportionalToPriorYear,
    WeightSources,
    make_method,
    weights_with_fallback,
)
from planning.config import LevelMethod
from planning.hierarchy import build_tree
from planning.money import largest_remainder
from salesplan.months import add_months

HIERARCHY = ("region", "product_line", "channel")
AS_OF = dt.date(2026, 11, 1)
OPEN = [dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
HISTORY = [add_months(dt.date(2024, 1, 1), k) for k in range(34)]  # 2024-01 .. 2026-10


def sources(leaves, history=None, forecast=None, capacity=None, eligible=None, potentials=None):
    tree = build_tree(HIERARCHY, leaves)
    n = len(tree.leaf_keys)
    return WeightSources(
        tree=tree,
        open_months=OPEN,
        as_of=AS_OF,
        prior_year_months=[dt.date(2025, m, 1) for m in range(1, 13)],
        history_months=HISTORY,
        leaf_history=np.zeros((n, len(HISTORY)), dtype=np.int64) if history is None else history,
        leaf_forecast=np.zeros((n, 2)) if forecast is None else np.asarray(forecast, float),
        has_forecast=np.ones(2, dtype=bool),
        leaf_capacity=np.zeros((n, 2)) if capacity is None else np.asarray(capacity, float),
        leaf_eligible=np.ones((n, 2), dtype=bool) if eligible is None else np.asarray(eligible),
        potentials=potentials or {},
    )


REGIONS = [(("EAST", "CLOUD", "direct", ""), ""), (("SOUTH", "CLOUD", "direct", ""), "")]
CHILDREN = ["region=EAST", "region=SOUTH"]


def split(method, weight_sources, children, total=1000, month=0):
    weights = method.weights(weight_sources, children)
    return largest_remainder(total, weights[:, month]).tolist()


def test_history_splits_by_the_trailing_months_of_actuals():
    history = np.zeros((2, len(HISTORY)), dtype=np.int64)
    history[0, -12:] = np.array([3] * 10 + [0, 0])  # EAST: 30 in the last 12 months
    history[1, -12:] = np.array([1] * 10 + [0, 0])  # SOUTH: 10
    history[1, :10] = 1000  # 2024-01..10, older than twelve months: ignored
    weight_sources = sources(REGIONS, history=history)
    assert split(ProportionalToHistory(12), weight_sources, CHILDREN) == [750, 250]
    # a 36-month window also sees SOUTH's older 10,000: 30 / 10,040 of 1,000 is 2.99
    assert split(ProportionalToHistory(36), weight_sources, CHILDREN) == [3, 997]


def test_prior_year_splits_by_the_previous_fiscal_year():
    history = np.zeros((2, len(HISTORY)), dtype=np.int64)
    history[0, 12:24] = 1  # 2025: EAST 12
    history[1, 12:24] = 3  # 2025: SOUTH 36
    history[0, 24:] = 100  # 2026 does not count
    assert split(ProportionalToPriorYear(), sources(REGIONS, history=history), CHILDREN) == [
        250,
        750,
    ]


def test_forecast_splits_each_month_by_that_months_forecast():
    weight_sources = sources(REGIONS, forecast=[[60, 10], [40, 30]])
    assert split(ProportionalToForecast(), weight_sources, CHILDREN, month=0) == [600, 400]
    assert split(ProportionalToForecast(), weight_sources, CHILDREN, month=1) == [250, 750]


def test_potential_splits_by_market_potential():
    potentials = {("region", "EAST"): 9.0e9, ("region", "SOUTH"): 3.0e9}
    weight_sources = sources(REGIONS, potentials=potentials)
    assert split(PotentialWeighted(), weight_sources, CHILDREN) == [750, 250]


def test_capacity_weighs_tier_and_ramp_of_each_rep():
    reps = [
        (("EAST", "CLOUD", "direct", "R1"), "rep_id"),
        (("EAST", "CLOUD", "direct", "R2"), "rep_id"),
    ]
    # R1: tier A (1.3), fully ramped; R2: tier B (1.0) in the second month of tenure (0.4).
    weight_sources = sources(reps, capacity=[[1.3, 1.3], [0.4, 0.6]])
    children = weight_sources.tree.children["region=EAST/product_line=CLOUD/channel=direct"]
    assert split(CapacityWeighted(), weight_sources, children) == [765, 235]
    # a segment's capacity is the sum of its reps' (headcount x productivity)
    assert weight_sources.node_capacity("region=EAST").tolist() == pytest.approx([1.7, 1.9])


def test_even_split_gives_the_leftover_unit_to_the_first_child():
    reps = [((("EAST", "CLOUD", "direct", f"R{k}")), "rep_id") for k in (1, 2, 3)]
    weight_sources = sources(reps)
    children = weight_sources.tree.children["region=EAST/product_line=CLOUD/channel=direct"]
    assert split(EvenSplit(), weight_sources, children) == [334, 333, 333]


def test_a_parent_whose_children_all_weigh_zero_uses_the_fallback_then_even():
    weight_sources = sources(REGIONS, potentials={("region", "EAST"): 1.0})
    history = ProportionalToHistory(12)  # no history at all: every weight is zero
    weights = weights_with_fallback(history, PotentialWeighted(), weight_sources, CHILDREN)
    assert weights[:, 0].tolist() == [1.0, 0.0]
    weights = weights_with_fallback(history, ProportionalToPriorYear(), weight_sources, CHILDREN)
    assert weights[:, 0].tolist() == [1.0, 1.0]


def test_a_rep_who_cannot_sell_in_a_month_gets_no_weight_in_it():
    reps = [
        (("EAST", "CLOUD", "direct", "R1"), "rep_id"),
        (("EAST", "CLOUD", "direct", "R2"), "rep_id"),
    ]
    # R2 left at the end of November: no new target in December, whatever the method says.
    weight_sources = sources(reps, eligible=[[True, True], [True, False]])
    children = weight_sources.tree.children["region=EAST/product_line=CLOUD/channel=direct"]
    weights = weights_with_fallback(EvenSplit(), EvenSplit(), weight_sources, children)
    assert weights.tolist() == [[1.0, 1.0], [1.0, 0.0]]


def test_methods_are_validated_when_they_are_made():
    with pytest.raises(ValueError, match="at least 1 month"):
        ProportionalToHistory(0)
    with pytest.raises(ValueError, match="unknown allocation method 'median'"):
        make_method("median")
    assert isinstance(make_method(LevelMethod("history", months=6)), ProportionalToHistory)
    assert make_method(LevelMethod("history", months=6)).months == 6  # type: ignore[attr-defined]
