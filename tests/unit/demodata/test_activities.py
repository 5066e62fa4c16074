import numpy as np

from demodata.activities import activities_in_month
from demodata.deals import owner_at_minute
from demodata.timeline import first_day_of_month, month_index


def test_activities_fall_in_their_month_and_belong_to_the_owner_at_the_time(small_business):
    month = month_index("2024-06")
    reps = small_business.organisation.reps
    frame = activities_in_month(
        small_business.world, reps, small_business.deals.opportunities, small_business.leads, month
    )
    first = first_day_of_month(month) * 1440
    last = first_day_of_month(month + 1) * 1440 - 1
    assert frame["occurred"].between(first, last).all()
    assert ((frame["lead"] >= 0) ^ (frame["opportunity"] >= 0)).all()
    deals = frame[frame["opportunity"] >= 0]
    owners = owner_at_minute(
        small_business.deals.opportunities,
        deals["opportunity"].to_numpy(),
        deals["occurred"].to_numpy(),
    )
    assert (owners == deals["rep"].to_numpy()).all()
    created = small_business.deals.opportunities["created"].to_numpy()
    assert (deals["occurred"].to_numpy() >= created[deals["opportunity"].to_numpy()]).all()
    assert np.isin(frame["activity_type"], range(5)).all()
    # Nobody logs an activity after leaving the company.
    end_day = reps["end_day"].to_numpy()[frame["rep"].to_numpy()]
    day = frame["occurred"].to_numpy() // 1440
    assert ((end_day < 0) | (end_day >= day)).all()
