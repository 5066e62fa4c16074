import re

import pytest

from demodata.planning_inputs import adjustments, annual_targets
from salesplan.entities import TARGET_METRICS


@pytest.fixture(scope="module")
def targets_2025(default_business):
    return annual_targets(default_business.world, default_business.actuals, 2025)


def test_targets_are_prior_year_actuals_plus_a_regional_ambition(default_business, targets_2025):
    actuals = default_business.actuals
    year = 2015 + actuals["month"] // 12
    prior = actuals[year == 2024].groupby("region")["bookings"].sum()
    regions = targets_2025.query("metric == 'bookings' and scope != 'company'")
    for index, region in enumerate(default_business.world.regions):
        amount = regions.loc[regions["scope"] == f"region={region.code}", "amount"].item()
        assert 1.09 < amount / prior[index] < 1.26, region.code
    assert set(targets_2025["metric"]) == set(TARGET_METRICS)
    assert (targets_2025["floor_pct"] == 0.9).all()
    assert targets_2025["stretch_pct"].between(1.15, 1.2).all()


def test_the_company_target_is_set_on_its_own_not_as_the_sum_of_regions(targets_2025):
    bookings = targets_2025.query("metric == 'bookings'")
    company = bookings.loc[bookings["scope"] == "company", "amount"].item()
    regions = bookings.loc[bookings["scope"] != "company", "amount"].sum()
    assert company != regions
    assert abs(company / regions - 1) < 0.1


def test_adjustments_lock_an_upcoming_region_month_and_a_rep_cell(default_business):
    business = default_business
    month = business.world.last_month - 4
    frame = adjustments(
        business.world,
        business.organisation,
        business.deals,
        business.ledger,
        business.actuals,
        month,
    )
    assert frame["locked"].all()
    assert re.fullmatch(r"region=[A-Z]+", frame["node"].iloc[0])
    assert re.fullmatch(
        r"region=[A-Z]+/product_line=[A-Z]+/channel=direct/rep_id=R\d{4}", frame["node"].iloc[1]
    )
    assert (frame["value"] > 0).all()
    assert frame["reason"].str.len().gt(10).all()
