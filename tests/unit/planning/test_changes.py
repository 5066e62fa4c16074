import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from planning_settings import examples

from planning.changes import COMPONENTS, waterfall


def test_each_part_is_the_step_it_explains():
    previous = pd.Series({"region=EAST": 1_000, "region=SOUTH": 500})
    steps = [
        pd.Series({"region=EAST": 1_100, "region=SOUTH": 400}),  # actuals came in
        pd.Series({"region=EAST": 1_150, "region=SOUTH": 350}),  # the forecast moved
        pd.Series({"region=EAST": 1_150, "region=SOUTH": 350}),  # rates: no money effect
        pd.Series({"region=EAST": 1_200, "region=SOUTH": 300, "region=NORTH": 0}),  # a lock
    ]
    frame = waterfall(previous, steps)
    east = frame.loc["region=EAST"]
    assert east[list(COMPONENTS)].tolist() == [100, 50, 0, 50]
    assert east["total_change"] == 200
    assert frame.loc["region=NORTH", "previous"] == 0


@examples()
@given(
    st.lists(st.integers(-(10**12), 10**12), min_size=5, max_size=5),
    st.lists(st.integers(-(10**12), 10**12), min_size=5, max_size=5),
)
def test_the_parts_always_add_up_to_the_total_change(before, after):
    keys = list("abcde")
    previous = pd.Series(before, index=keys)
    steps = [pd.Series(after, index=keys) // (4 - k) for k in range(4)]
    frame = waterfall(previous, steps)
    assert (frame["previous"] + frame[list(COMPONENTS)].sum(axis=1) == frame["current"]).all()
