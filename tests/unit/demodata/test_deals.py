import numpy as np

from demodata.deals import CLOSED_LOST, CLOSED_WON, RENEWAL, line_mix
from demodata.timeline import NULL, month_index


def test_stages_are_entered_in_order_and_end_with_the_close(small_business):
    deals = small_business.deals.opportunities
    entered = deals[[f"stage_{k}" for k in range(7)]].to_numpy()
    for row in entered[:500]:
        reached = row[row != NULL]
        assert (np.diff(reached) > 0).all()
    won = deals["won"].to_numpy()
    assert (entered[won, CLOSED_WON] == deals["close"].to_numpy()[won]).all()
    assert (entered[~won, CLOSED_LOST] == deals["close"].to_numpy()[~won]).all()
    assert (entered[:, 0] == deals["created"].to_numpy()).all()


def test_renewals_skip_discovery_stages(small_business):
    deals = small_business.deals.opportunities
    renewals = deals[deals["deal_type"] == RENEWAL]
    assert (renewals["stage_1"] == NULL).all()
    assert (renewals["stage_2"] == NULL).all()


def test_deals_close_at_least_a_week_after_they_are_opened(small_business):
    deals = small_business.deals.opportunities
    assert ((deals["close"] - deals["created"]) >= 6 * 1440).mean() > 0.999


def test_no_ai_demand_before_its_launch():
    mix = line_mix(np.array([month_index("2024-02"), month_index("2024-03")]))
    assert mix[0, 2] == 0
    assert mix[1, 2] > 0
