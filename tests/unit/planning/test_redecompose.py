"""Invariants of the re-decomposition over random hierarchies, targets, weights and locks."""

import dataclasses
import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from planning_settings import examples
from planning_strategies import businesses, configs

from planning.hierarchy import UNASSIGNED
from planning.locks import Adjustment, InfeasibleLockError
from planning.outlook import forecast_for_allocation, read_forecast
from planning.redecompose import allocate_open_months, prepare_stream


def prepared(config, inputs, as_of):
    data = prepare_stream(inputs, config, config.streams["bookings"], as_of)
    forecast = forecast_for_allocation(data, read_forecast(inputs, data))
    return data, forecast


def remaining_target(data):
    closed_actuals = int(data.leaf_actuals().sum())
    return max(data.company_target.amount - closed_actuals, 0)


@examples()
@given(st.data())
def test_the_plan_is_exact_non_negative_respects_official_targets_and_is_reproducible(data):
    config = data.draw(configs())
    inputs, as_of, _ = data.draw(businesses(config))
    stream, forecast = prepared(config, inputs, as_of)
    targets = allocate_open_months(
        stream, n_closed=stream.n_closed, leaf_forecast=forecast, adjustments=[]
    )
    n_closed = stream.n_closed
    # exact: the open months add up to annual target - actuals to date, to the minor unit
    assert int(targets[:, n_closed:].sum()) == remaining_target(stream)
    # never negative; closed months are left to the caller (no previous version here)
    assert (targets >= 0).all()
    assert (targets[:, :n_closed] == 0).all()
    # nobody gets a new target in a month they cannot sell in, unless nobody can
    blocked = ~stream.leaf_eligible[:, n_closed:]
    unassigned = np.array([key[-1] == UNASSIGNED for key in stream.tree.leaf_keys])
    assert (targets[:, n_closed:][blocked & ~unassigned[:, None]] == 0).all()
    # an official node target is kept when it fits next to its siblings
    tree = stream.tree
    open_totals = dict(
        zip(tree.nodes, tree.aggregate(targets[:, n_closed:].sum(axis=1)), strict=True)
    )
    closed = dict(zip(tree.nodes, tree.aggregate(stream.leaf_actuals().sum(axis=1)), strict=True))
    company = remaining_target(stream)
    for node, target in stream.scope_targets.items():
        remaining = max(target.amount - int(closed[node]), 0)
        siblings = tree.children[tree.parent[node]]
        if len(siblings) > 1 and remaining <= company:
            assert open_totals[node] == remaining
        elif len(siblings) == 1:
            assert open_totals[node] == company
    # reproducible: preparing and planning again gives the same leaves and values
    again, _ = prepared(config, inputs, as_of)
    repeat = allocate_open_months(again, n_closed=n_closed, leaf_forecast=forecast, adjustments=[])
    assert again.tree.leaf_keys == tree.leaf_keys
    assert (repeat == targets).all()


@examples()
@given(st.data())
def test_locked_cells_keep_their_value_or_the_locks_are_reported_infeasible(data):
    config = data.draw(configs())
    inputs, as_of, _ = data.draw(businesses(config))
    stream, forecast = prepared(config, inputs, as_of)
    n_closed = stream.n_closed
    unlocked = allocate_open_months(
        stream, n_closed=n_closed, leaf_forecast=forecast, adjustments=[]
    )
    tree = stream.tree
    node_values = dict(zip(tree.nodes, tree.aggregate(unlocked), strict=True))
    open_months = stream.months[n_closed:]
    locks = {}
    for node in data.draw(st.lists(st.sampled_from(tree.nodes), max_size=4, unique=True)):
        m = data.draw(st.integers(0, len(open_months) - 1))
        if tree.is_leaf(node) and not stream.leaf_lockable[tree.span[node][0], n_closed + m]:
            continue
        factor = data.draw(st.sampled_from([0.0, 0.5, 1.0, 1.3]))
        value = int(node_values[node][n_closed + m] * factor)
        locks[(node, m)] = Adjustment("bookings", node, open_months[m], value, True, "row")
    try:
        targets = allocate_open_months(
            stream, n_closed=n_closed, leaf_forecast=forecast, adjustments=list(locks.values())
        )
    except InfeasibleLockError as error:
        targets, reason = None, str(error)
    if targets is None:
        # infeasible locks are reported naming a node of the tree
        assert any(node in reason for node in tree.nodes)
        return
    locked_values = dict(zip(tree.nodes, tree.aggregate(targets), strict=True))
    for (node, m), lock in locks.items():
        assert locked_values[node][n_closed + m] == lock.value
    assert int(targets[:, n_closed:].sum()) == remaining_target(stream)
    assert (targets >= 0).all()


@examples(100)
@given(st.data())
def test_closed_months_keep_the_values_given_for_them(data):
    config = data.draw(configs())
    inputs, as_of, _ = data.draw(businesses(config))
    stream, forecast = prepared(config, inputs, as_of)
    closed = np.asarray(
        data.draw(
            st.lists(
                st.integers(0, 10**9),
                min_size=stream.n_closed * len(stream.tree.leaf_keys),
                max_size=stream.n_closed * len(stream.tree.leaf_keys),
            )
        ),
        dtype=np.int64,
    ).reshape(len(stream.tree.leaf_keys), stream.n_closed)
    frozen = np.zeros((len(stream.tree.leaf_keys), 12), dtype=np.int64)
    frozen[:, : stream.n_closed] = closed
    targets = allocate_open_months(
        stream,
        n_closed=stream.n_closed,
        leaf_forecast=forecast,
        adjustments=[],
        closed_targets=frozen,
    )
    assert (targets[:, : stream.n_closed] == closed).all()


def test_a_month_in_which_a_segment_has_no_active_rep_goes_to_its_unassigned_seller():
    from pathlib import Path

    from planning.config import load_config
    from planning.synthetic import synthetic_inputs

    config = load_config(Path(__file__).resolve().parents[3] / "planning/examples/planning.yml")
    inputs = synthetic_inputs(regions=1, product_lines=1, reps_per_region=1, partners_per_region=1)
    reps = inputs.reps.copy()
    reps["end_date"] = dt.date(2026, 8, 31)  # the only rep leaves at the end of August
    inputs = dataclasses.replace(inputs, reps=reps)
    stream, forecast = prepared(config, inputs, dt.date(2026, 7, 1))
    targets = allocate_open_months(stream, n_closed=6, leaf_forecast=forecast, adjustments=[])
    leaves = stream.tree.leaves
    rep = leaves.index("region=EAST/product_line=CLOUD/channel=direct/rep_id=R0001")
    unassigned = leaves.index(f"region=EAST/product_line=CLOUD/channel=direct/rep_id={UNASSIGNED}")
    assert (targets[rep, 6:8] > 0).all()
    assert (targets[rep, 8:] == 0).all()
    assert (targets[unassigned, 8:] > 0).all()
    assert (targets[unassigned, 6:8] == 0).all()
