import numpy as np

from demodata.people import owner_at, partner_tier_at
from demodata.timeline import NULL


def test_a_leavers_book_passes_to_a_colleague_still_employed(default_business):
    reps = default_business.organisation.reps
    leavers = np.flatnonzero(reps["end_day"].to_numpy() != NULL)
    assert leavers.size > 20
    after = reps["end_day"].to_numpy()[leavers] + 1
    owners = owner_at(reps, leavers, after)
    assert (owners != leavers).all()
    end = reps["end_day"].to_numpy()[owners]
    assert ((end == NULL) | (end >= after)).all()
    assert (reps["region"].to_numpy()[owners] == reps["region"].to_numpy()[leavers]).all()


def test_every_team_has_one_manager_who_stays(default_business):
    reps = default_business.organisation.reps
    managers = reps[reps["is_manager"]]
    assert (managers["end_day"] == NULL).all()
    assert managers["team"].is_unique
    quota = reps[~reps["is_manager"]]
    assert quota["manager"].isin(managers.index).all()


def test_partners_are_re_tiered_in_january(default_business):
    organisation = default_business.organisation
    changes = organisation.partner_tier_changes
    assert len(changes) > 0
    partner = changes["partner"].to_numpy()[:1]
    day = int(changes["day"].iloc[0])
    before = partner_tier_at(organisation.partners, changes, partner, day - 1)
    after = partner_tier_at(organisation.partners, changes, partner, day)
    assert before[0] != after[0] == changes["tier"].iloc[0]
