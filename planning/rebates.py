"""Tiered partner rebates on attainment of the partner's annual target.

Tiers are ``(from, rate)`` pairs on attainment = sales / target, with increasing ``from``:

* **retroactive**: once attainment reaches a tier, that tier's rate applies to *all* sales.
* **marginal**: each tier's rate applies only to the sales inside its band, from
  ``from x target`` up to the next tier's ``from x target`` (the last band is open).

Worked example, tiers 80% -> 1%, 100% -> 3%, 120% -> 5%, target 1,000,000:

=========== ============ ============================================= ============
sales       attainment   marginal                                      retroactive
=========== ============ ============================================= ============
700,000     70%          0                                             0
900,000     90%          1% x 100,000 = 1,000                          9,000
1,100,000   110%         1% x 200,000 + 3% x 100,000 = 5,000           33,000
1,300,000   130%         2,000 + 3% x 200,000 + 5% x 100,000 = 13,000  65,000
=========== ============ ============================================= ============

Rebates are computed on the target agreed at the start of the year (``original_target``), in
minor units, rounded half up to a whole minor unit. A zero target earns no rebate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from planning.config import REBATE_MODES, RebateTier


def rebate(
    sales: npt.ArrayLike, target: int, tiers: Sequence[RebateTier], mode: str
) -> npt.NDArray[np.int64]:
    """Return the rebate (minor units) earned on ``sales`` (minor units, scalar or array).

    Raises:
        ValueError: for an unknown mode, unsorted tiers or a negative target.
    """
    if mode not in REBATE_MODES:
        raise ValueError(f"unknown rebate mode {mode!r}; known: {', '.join(REBATE_MODES)}")
    starts = [tier.start for tier in tiers]
    if starts != sorted(set(starts)):
        raise ValueError(f"rebate tiers must have strictly increasing `from`: {starts}")
    if target < 0:
        raise ValueError(f"a rebate target cannot be negative: {target}")
    values = np.asarray(sales, dtype=np.float64)
    if target == 0 or not tiers:
        return np.zeros(values.shape, dtype=np.int64)
    amount = np.zeros(values.shape, dtype=np.float64)
    if mode == "retroactive":
        attainment = values / target
        for tier in tiers:
            amount = np.where(attainment >= tier.start - 1e-12, tier.rate * values, amount)
    else:
        for index, tier in enumerate(tiers):
            low = tier.start * target
            high = tiers[index + 1].start * target if index + 1 < len(tiers) else np.inf
            amount += tier.rate * np.clip(values - low, 0.0, high - low)
    return np.floor(amount + 0.5).astype(np.int64)


def reached_tier(attainment: float, tiers: Sequence[RebateTier]) -> RebateTier | None:
    """Return the highest tier whose ``from`` the attainment reaches, or ``None``."""
    result = None
    for tier in tiers:
        if attainment >= tier.start - 1e-12:
            result = tier
    return result
