import numpy as np

from demodata.timeline import NULL


def test_lead_steps_happen_in_order_and_conversion_opens_the_deal(small_business):
    leads = small_business.leads
    deals = small_business.deals.opportunities
    for earlier, later in (("created", "mql"), ("mql", "sql"), ("sql", "converted")):
        both = (leads[earlier] != NULL) & (leads[later] != NULL)
        assert (leads.loc[both, later] > leads.loc[both, earlier]).all(), (earlier, later)
    converted = leads[leads["converted_opportunity"] >= 0]
    opened = deals["created"].to_numpy()[converted["converted_opportunity"].to_numpy()]
    assert (opened == converted["converted"].to_numpy()).all()
    assert converted["converted_opportunity"].is_unique
    assert np.all(leads["created"].diff().dropna() >= 0)
