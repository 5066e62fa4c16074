"""Explained plan changes: a waterfall from the previous plan version to this one.

Each node's change between versions is attributed by re-planning this month step by step,
swapping one input at a time from its previous to its current version, in this fixed order:

1. ``actuals_vs_plan``: the month that closed (its actual replaces its target), restated
   actuals, the trailing windows moving by a month and changes of reps and partners. Re-plan
   with the new actuals but the previous forecast, rates and adjustments.
2. ``forecast_revision``: then with the new forecast.
3. ``rate_changes``: then with the new funnel rates (moves funnel requirements; money targets do
   not depend on rates, so this part is zero for them).
4. ``manual_adjustments``: then with the new adjustments: this is the current plan.

Each part is the difference between consecutive steps, so the parts add up exactly to the total
change (integers: minor units for money, hundredths for counts of opportunities). The order
matters when effects interact; it follows the order in which the inputs arrive each month. An
input whose previous version is unknown is treated as unchanged, so its effect is counted in an
earlier part.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

COMPONENTS = ("actuals_vs_plan", "forecast_revision", "rate_changes", "manual_adjustments")


def waterfall(previous: pd.Series, steps: Sequence[pd.Series]) -> pd.DataFrame:
    """Attribute the change from ``previous`` to the last step over :data:`COMPONENTS`.

    Args:
        previous: integer values of the previous version, indexed by cell key.
        steps: four integer series, the value after each component's input changed (the last
            is the current version). Keys missing from a series count as 0.

    Returns:
        One row per key with ``previous``, the four components, ``current`` and
        ``total_change``; ``previous + sum(components) == current`` exactly.
    """
    if len(steps) != len(COMPONENTS):
        raise ValueError(f"need {len(COMPONENTS)} steps, got {len(steps)}")
    index = previous.index
    for step in steps:
        index = index.union(step.index)
    before = previous.reindex(index, fill_value=0).astype("int64")
    frame = pd.DataFrame({"previous": before}, index=index)
    for name, step in zip(COMPONENTS, steps, strict=True):
        after = step.reindex(index, fill_value=0).astype("int64")
        frame[name] = after - before
        before = after
    frame["current"] = before
    frame["total_change"] = frame["current"] - frame["previous"]
    return frame
