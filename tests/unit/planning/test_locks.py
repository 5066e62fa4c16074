import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from planning_settings import examples

from planning.calendar import FiscalCalendar
from planning.inputs import PlanningInputError
from planning.locks import (
    AnnualFix,
    CellFix,
    InfeasibleLockError,
    parse_adjustments,
    split_parent,
    spread_over_months,
)

MONTHS = [dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
CHILDREN = ["region=EAST", "region=SOUTH", "region=NORTH"]


def split(totals, weights, **kwargs):
    weights = np.asarray(weights, dtype=float)
    eligible = kwargs.pop("eligible", np.ones(weights.shape, dtype=bool))
    return split_parent(
        "company",
        np.asarray(totals, dtype=np.int64),
        CHILDREN[: weights.shape[0]],
        weights,
        eligible,
        months=MONTHS[: weights.shape[1]],
        **kwargs,
    )


def test_a_locked_cell_keeps_its_value_and_the_siblings_share_the_rest():
    # 1,000 split 1:1:2, with EAST locked at 400: SOUTH and NORTH share 600 as 1:2.
    result = split([1000], [[1], [1], [2]], cell_fixes={(0, 0): CellFix(400, True, "row 1")})
    assert result[:, 0].tolist() == [400, 200, 400]


def test_locks_that_exceed_the_parent_name_the_node_the_period_and_the_excess():
    fixes = {(0, 0): CellFix(700, True, "row 1"), (1, 0): CellFix(500, True, "row 2")}
    with pytest.raises(InfeasibleLockError) as error:
        split([1000], [[1], [1], [1]], cell_fixes=fixes)
    message = str(error.value)
    assert "company, 2026-11" in message
    assert "add up to 1200, 200 more than the parent's target 1000" in message


def test_unlocked_proposals_are_scaled_down_together_when_they_do_not_fit():
    fixes = {(0, 0): CellFix(800, False, "row 1"), (1, 0): CellFix(400, False, "row 2")}
    result = split([900], [[1], [1], [1]], cell_fixes=fixes)
    assert result[:, 0].tolist() == [600, 300, 0]


def test_a_fixed_annual_target_is_spread_over_the_months_the_parent_has_room_in():
    # EAST must take 600 of the 1,000 over two months; it follows the parent's profile.
    result = split(
        [400, 600], [[1, 1], [1, 1], [1, 1]], annual_fixes={0: AnnualFix(600, True, "x")}
    )
    assert result[0].sum() == 600
    assert result[0].tolist() == [240, 360]
    assert result.sum(axis=0).tolist() == [400, 600]


def test_official_node_targets_are_scaled_to_the_parent_when_every_child_has_one():
    fixes = {
        c: AnnualFix(value, False, "annual_targets") for c, value in enumerate([300, 100, 100])
    }
    result = split([500, 500], [[1, 1], [1, 1], [1, 1]], annual_fixes=fixes)
    # 500 of targets for a 1,000 parent: doubled, proportions kept.
    assert result.sum(axis=1).tolist() == [600, 200, 200]


def test_hard_annual_locks_that_cannot_fit_are_an_error():
    fixes = {0: AnnualFix(900, True, "row 4"), 1: AnnualFix(300, True, "row 5")}
    with pytest.raises(InfeasibleLockError, match="need 1200 for the rest of the year, 200 more"):
        split([500, 500], [[1, 1], [1, 1], [1, 1]], annual_fixes=fixes)


def test_children_that_are_all_locked_must_add_up_to_the_parent():
    fixes = {(c, 0): CellFix(100, True, "r") for c in range(3)}
    with pytest.raises(InfeasibleLockError, match="leave 700 of the parent's target unplaced"):
        split([1000], [[1], [1], [1]], cell_fixes=fixes)


def test_a_month_nobody_can_sell_in_goes_to_the_unassigned_child():
    eligible = np.array([[True], [False], [False]])
    result = split(
        [100], [[0], [0], [0]], eligible=np.array([[False], [False], [False]]), unassigned=2
    )
    assert result[:, 0].tolist() == [0, 0, 100]
    result = split([100], [[0], [0], [0]], eligible=eligible, unassigned=2)
    assert result[:, 0].tolist() == [100, 0, 0]  # zero weights but an eligible child: even


@examples()
@given(
    st.lists(st.integers(0, 10**9), min_size=1, max_size=4),
    st.data(),
)
def test_split_parent_sums_exactly_keeps_locks_and_never_goes_negative(totals, data):
    n_children = data.draw(st.integers(1, 5))
    weights = np.array(
        data.draw(
            st.lists(
                st.lists(st.floats(0, 100), min_size=len(totals), max_size=len(totals)),
                min_size=n_children,
                max_size=n_children,
            )
        )
    )
    fixes = {}
    for c, m in data.draw(
        st.sets(
            st.tuples(st.integers(0, n_children - 1), st.integers(0, len(totals) - 1)), max_size=3
        )
    ):
        fixes[(c, m)] = CellFix(data.draw(st.integers(0, max(totals[m] // 3, 0))), True, "row")
    children = [f"region=R{c}" for c in range(n_children)]
    months = [dt.date(2026, 1 + m, 1) for m in range(len(totals))]
    try:
        result = split_parent(
            "company",
            np.array(totals, dtype=np.int64),
            children,
            weights,
            np.ones(weights.shape, dtype=bool),
            months=months,
            cell_fixes=fixes,
        )
    except InfeasibleLockError as error:
        # only when every child of some month is locked and the locks leave something over
        reason = str(error)
    else:
        reason = ""
    if reason:
        assert "unplaced" in reason or "more than" in reason
        return
    assert result.sum(axis=0).tolist() == totals
    assert (result >= 0).all()
    for (c, m), fix in fixes.items():
        assert result[c, m] == fix.value


def test_spread_over_months_keeps_locked_months():
    result = spread_over_months(
        "company",
        1200,
        np.array([1.0, 1.0, 2.0]),
        months=[*MONTHS, dt.date(2027, 1, 1)],
        cell_fixes={0: CellFix(600, True, "row 2")},
    )
    assert result.tolist() == [600, 200, 400]
    with pytest.raises(InfeasibleLockError, match="locked months add up to 1300, 100 more"):
        spread_over_months(
            "company",
            1200,
            np.ones(2),
            months=MONTHS,
            cell_fixes={0: CellFix(1300, True, "row 2")},
        )


def adjustments(rows):
    frame = pd.DataFrame(
        rows, columns=["metric", "node", "period", "value", "locked", "reason", "author"]
    )
    return parse_adjustments(
        frame,
        streams={"bookings": 100, "new_customers": 1},
        hierarchy=("region", "product_line", "channel"),
        calendar=FiscalCalendar(1),
        fiscal_year=2026,
        as_of=dt.date(2026, 7, 1),
    )


def test_adjustments_keep_open_months_and_full_years_and_skip_closed_months():
    parsed = adjustments(
        [
            ("bookings", "region=EAST", "2026-08", 1234.5, True, "r", "a"),
            ("bookings", "region=EAST", "2026-03", 99.0, True, "closed month", "a"),
            ("bookings", "region=SOUTH", "2026", 5000.0, None, "year", "a"),
            ("bookings", "region=SOUTH", "2027-02", 5000.0, True, "next year", "a"),
            ("bookings", "region=EAST", "2026-08", 1234.5, True, "same row twice", "b"),
        ]
    )
    assert [(a.node, a.month, a.value, a.locked) for a in parsed] == [
        ("region=EAST", dt.date(2026, 8, 1), 123450, True),
        ("region=SOUTH", None, 500000, True),
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ("bookings", "region=EAST", "2026-08", -5.0, True, "r", "a"),
            "column value, value -5.0: targets cannot be negative",
        ),
        (
            ("profit", "region=EAST", "2026-08", 5.0, True, "r", "a"),
            "column metric, value 'profit': no stream plans it",
        ),
        (
            ("bookings", "team=EAST", "2026-08", 5.0, True, "r", "a"),
            "column node, value 'team=EAST'",
        ),
        (
            ("bookings", "region=EAST", "2026-Q3", 5.0, True, "r", "a"),
            "column period, value '2026-Q3'",
        ),
        (("bookings", "region=EAST", "2026-08", None, True, "r", "a"), "missing value"),
        (("bookings", "region=EAST", "2026-08", 5.0, "maybe", "r", "a"), "column locked"),
    ],
)
def test_bad_adjustment_rows_name_the_row_column_and_value(row, message):
    with pytest.raises(PlanningInputError, match=r"^adjustments row 1\b") as error:
        adjustments([row])
    assert message in str(error.value)


def test_conflicting_adjustments_for_one_cell_are_an_error_naming_both_rows():
    with pytest.raises(
        PlanningInputError, match="adjustments row 2 and adjustments row 1: conflicting"
    ):
        adjustments(
            [
                ("bookings", "region=EAST", "2026-08", 100.0, True, "r", "a"),
                ("bookings", "region=EAST", "2026-08", 200.0, True, "r", "b"),
            ]
        )


def test_an_adjustment_error_names_the_extract_file_when_the_frame_has_lineage():
    frame = pd.DataFrame(
        [
            (
                "bookings",
                "region=EAST",
                "2026-08",
                -1.0,
                True,
                "r",
                "a",
                "2026-06/adjustments.csv",
                7,
            )
        ],
        columns=[
            "metric",
            "node",
            "period",
            "value",
            "locked",
            "reason",
            "author",
            "_source_file",
            "_source_row",
        ],
    )
    with pytest.raises(PlanningInputError, match=r"\(2026-06/adjustments.csv row 7\)"):
        parse_adjustments(
            frame,
            streams={"bookings": 100},
            hierarchy=("region", "product_line", "channel"),
            calendar=FiscalCalendar(1),
            fiscal_year=2026,
            as_of=dt.date(2026, 7, 1),
        )


def test_children_all_with_annual_targets_share_the_months_their_locks_leave_free():
    # Regression: region targets for every region (scaled to the company) with one region
    # locked in a month used to strand that month's room: the last region could not take it.
    months = [dt.date(2026, m, 1) for m in (10, 11, 12)]
    annual = {
        c: AnnualFix(value, False, "annual_targets") for c, value in enumerate([300, 300, 400])
    }
    result = split_parent(
        "company",
        np.array([300, 300, 400], dtype=np.int64),
        CHILDREN,
        np.ones((3, 3)),
        np.ones((3, 3), dtype=bool),
        months=months,
        cell_fixes={(2, 0): CellFix(50, True, "row 1"), (2, 2): CellFix(50, True, "row 2")},
        annual_fixes=annual,
    )
    assert result.sum(axis=0).tolist() == [300, 300, 400]
    assert result[2, 0] == 50
    assert result[2, 2] == 50
    assert result.sum(axis=1).tolist() == [300, 300, 400]
