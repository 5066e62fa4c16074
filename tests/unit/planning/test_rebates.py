import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from planning_settings import examples

from planning.config import RebateTier
from planning.rebates import reached_tier, rebate

TIERS = (RebateTier(0.8, 0.01), RebateTier(1.0, 0.03), RebateTier(1.2, 0.05))


@pytest.mark.parametrize(
    ("sales", "marginal", "retroactive"),
    [
        (700_000, 0, 0),
        (900_000, 1_000, 9_000),
        (1_100_000, 5_000, 33_000),
        (1_300_000, 13_000, 65_000),
    ],
)
def test_the_worked_rebate_table(sales, marginal, retroactive):
    # target 1,000,000; tiers 80% -> 1%, 100% -> 3%, 120% -> 5% (planning/rebates.py)
    assert rebate(sales, 1_000_000, TIERS, "marginal") == marginal
    assert rebate(sales, 1_000_000, TIERS, "retroactive") == retroactive


def test_the_reached_tier_is_the_highest_one_attained():
    assert reached_tier(0.79, TIERS) is None
    assert reached_tier(1.0, TIERS) == TIERS[1]
    assert reached_tier(2.0, TIERS) == TIERS[2]


def test_a_zero_target_earns_nothing_and_bad_tiers_are_rejected():
    assert rebate(500, 0, TIERS, "retroactive") == 0
    with pytest.raises(ValueError, match="unknown rebate mode"):
        rebate(1, 1, TIERS, "progressive")
    with pytest.raises(ValueError, match="strictly increasing"):
        rebate(1, 1, (TIERS[1], TIERS[0]), "marginal")


@examples()
@given(st.integers(0, 10**10), st.integers(1, 10**9))
def test_marginal_rebates_never_exceed_retroactive_ones_and_both_grow_with_sales(sales, target):
    marginal = rebate(np.array([sales, sales + 1000]), target, TIERS, "marginal")
    retroactive = rebate(np.array([sales, sales + 1000]), target, TIERS, "retroactive")
    assert marginal[0] <= retroactive[0]
    assert marginal[1] >= marginal[0]
    assert retroactive[1] >= retroactive[0]
