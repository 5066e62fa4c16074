import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from planning_settings import examples

from planning.money import (
    InfeasibleTransportError,
    ZeroWeightError,
    capped_largest_remainder,
    floored_largest_remainder,
    from_minor,
    largest_remainder,
    largest_remainder_columns,
    largest_remainder_rows,
    to_minor,
    transport,
)

weights_strategy = st.lists(
    st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=1e6, allow_nan=False)),
    min_size=1,
    max_size=12,
).filter(lambda w: sum(w) > 0)
totals = st.integers(min_value=0, max_value=10**13)


def test_largest_remainder_hands_leftover_units_to_the_largest_remainders():
    # 1,000 by 1:1:1 is 333.33 each; the leftover unit goes to the first (ties by index).
    assert largest_remainder(1000, [1, 1, 1]).tolist() == [334, 333, 333]
    # 10 by 0.55 : 0.45 is 5.5 / 4.5: one leftover unit, the tie goes to the lower index.
    assert largest_remainder(10, [0.55, 0.45]).tolist() == [6, 4]
    # 100 by 1:2:3 is 16.67 / 33.33 / 50: the leftover unit goes to the .67.
    assert largest_remainder(100, [1, 2, 3]).tolist() == [17, 33, 50]


def test_largest_remainder_rejects_zero_weights_negative_totals_and_bad_weights():
    with pytest.raises(ZeroWeightError, match="all weigh zero"):
        largest_remainder(5, [0, 0])
    with pytest.raises(ValueError, match="negative total"):
        largest_remainder(-1, [1])
    with pytest.raises(ValueError, match="finite and non-negative"):
        largest_remainder(5, [1, -1])
    assert largest_remainder(0, [0, 0]).tolist() == [0, 0]


@examples()
@given(totals, weights_strategy)
def test_largest_remainder_sums_exactly_and_stays_within_one_unit_of_the_quota(total, weights):
    parts = largest_remainder(total, weights)
    assert int(parts.sum()) == total
    assert (parts >= 0).all()
    w = np.asarray(weights)
    quotas = total * w / w.sum()
    # Float quotas of totals up to 1e13 carry ~1e-3 of noise.
    assert np.all(np.abs(parts - quotas) < 1 + 1e-2)
    assert (parts[w == 0] == 0).all()


@examples()
@given(st.lists(totals, min_size=1, max_size=6), weights_strategy)
def test_row_split_equals_the_one_total_split(row_totals, weights):
    rows = largest_remainder_rows(row_totals, weights)
    for total, row in zip(row_totals, rows, strict=True):
        assert row.tolist() == largest_remainder(total, weights).tolist()


@examples()
@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=10),
    st.data(),
)
def test_capped_split_never_exceeds_a_cap_and_sums_exactly(total, caps, data):
    total = min(total, sum(caps))
    weights = data.draw(
        st.lists(st.floats(0.0, 1e3, allow_nan=False), min_size=len(caps), max_size=len(caps))
    )
    parts = capped_largest_remainder(total, weights, caps)
    assert int(parts.sum()) == total
    assert (parts >= 0).all()
    assert (parts <= np.asarray(caps)).all()


def test_capped_split_refills_the_rest_when_a_part_is_full():
    # 100 by 1:1 with caps 20 and 200: the first is full at 20, the second takes 80.
    assert capped_largest_remainder(100, [1, 1], [20, 200]).tolist() == [20, 80]
    with pytest.raises(ValueError, match="caps add up to 30"):
        capped_largest_remainder(31, [1, 1], [10, 20])


def test_minor_units_round_trip_decimal_amounts_exactly():
    amounts = [0.01, 1234567.89, 86915094.99, 0.0, 10_000_000.0]
    minor = to_minor(amounts)
    assert minor.tolist() == [1, 123456789, 8691509499, 0, 1_000_000_000]
    assert from_minor(minor).tolist() == amounts


def test_a_floor_takes_only_what_it_needs_and_the_others_keep_their_proportions():
    # 1,000 by 1:1:2 would give 250 / 250 / 500; the first must have 400: the others share
    # the remaining 600 as 1:2.
    assert floored_largest_remainder(1000, [1, 1, 2], [400, 0, 0]).tolist() == [400, 200, 400]
    # a floor below the proportional share changes nothing
    assert floored_largest_remainder(1000, [1, 1, 2], [100, 0, 0]).tolist() == [250, 250, 500]
    with pytest.raises(ValueError, match="floors add up to 1100, 100 more"):
        floored_largest_remainder(1000, [1, 1], [600, 500])


@examples()
@given(
    st.integers(0, 10**9),
    st.lists(st.floats(0.0, 1e3, allow_nan=False), min_size=1, max_size=8),
    st.data(),
)
def test_floored_split_sums_exactly_and_never_goes_below_a_floor(total, weights, data):
    floors = data.draw(
        st.lists(
            st.integers(0, max(total // len(weights), 0)),
            min_size=len(weights),
            max_size=len(weights),
        )
    )
    parts = floored_largest_remainder(total, weights, floors)
    assert int(parts.sum()) == total
    assert (parts >= np.asarray(floors)).all()


@examples()
@given(
    st.lists(totals, min_size=1, max_size=5),
    st.data(),
)
def test_column_split_equals_the_one_total_split(column_totals, data):
    n = data.draw(st.integers(1, 6))
    column = st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=n, max_size=n)
    weights = np.array([data.draw(column) for _ in column_totals]).T
    weights[0] += 1.0  # every column needs a positive weight
    parts = largest_remainder_columns(column_totals, weights)
    for j, total in enumerate(column_totals):
        assert parts[:, j].tolist() == largest_remainder(total, weights[:, j]).tolist()


def test_transport_meets_row_and_column_totals_within_the_allowed_cells():
    # two children fixed at 60 and 40 over months of 50 and 50; the first is locked out of
    # the second month, so it must take all of the first.
    allowed = [[True, False], [True, True]]
    assert transport([50, 50], [50, 50], allowed).tolist() == [[50, 0], [0, 50]]
    with pytest.raises(InfeasibleTransportError, match="cannot be met"):
        transport([60, 40], [50, 50], allowed)


@examples()
@given(st.data())
def test_transport_is_exact_and_stays_in_allowed_cells(data):
    n_rows = data.draw(st.integers(1, 5))
    n_columns = data.draw(st.integers(1, 6))
    # build a feasible problem from a random integer matrix on a random support
    allowed = np.array(
        data.draw(
            st.lists(
                st.lists(st.booleans(), min_size=n_columns, max_size=n_columns),
                min_size=n_rows,
                max_size=n_rows,
            )
        )
    )
    allowed[:, 0] = True
    values = (
        np.array(
            data.draw(
                st.lists(
                    st.lists(st.integers(0, 10**6), min_size=n_columns, max_size=n_columns),
                    min_size=n_rows,
                    max_size=n_rows,
                )
            )
        )
        * allowed
    )
    result = transport(values.sum(axis=1), values.sum(axis=0), allowed)
    assert (result.sum(axis=1) == values.sum(axis=1)).all()
    assert (result.sum(axis=0) == values.sum(axis=0)).all()
    assert (result >= 0).all()
    assert (result[~allowed] == 0).all()
