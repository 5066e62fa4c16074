"""The frame every part of the simulation shares: size, timeline, calendar, randomness, FX."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field

import numpy as np

from demodata.catalog import Region
from demodata.sizes import Size
from demodata.timeline import MINUTES_PER_DAY, Calendar, first_day_of_month, month_index
from salesplan.months import add_months, parse_month

HISTORY_START = "2021-01"
# Deals are simulated from this month so that 2021 already has a mature renewal book,
# expansions and an open pipeline, like any going concern; records before HISTORY_START are
# not extracted unless they were still open then (opportunities) or are referenced (accounts).
BURN_IN_START = "2017-01"
# Deals are simulated this many months past the end so that leads created in the last months
# have the opportunities they convert into (their conversion is simply not extracted yet).
LOOKAHEAD_MONTHS = 3
CURRENCIES = ("CNY", "USD", "HKD")


@dataclass
class World:
    """Size, timeline and shared services of one simulation run.

    Attributes:
        size: the demo size.
        seed: the seed every component's generator derives from.
        end_month: the last extract month, ``YYYY-MM``.
    """

    size: Size
    seed: int
    end_month: str
    calendar: Calendar = field(init=False)
    first_month: int = field(init=False)
    burn_in_month: int = field(init=False)
    last_month: int = field(init=False)
    horizon_month: int = field(init=False)
    end_minute: int = field(init=False)
    fx: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        end = parse_month(self.end_month)
        self.calendar = Calendar(add_months(end, 48) - dt.timedelta(days=1))
        self.first_month = month_index(HISTORY_START)
        self.burn_in_month = month_index(BURN_IN_START)
        self.last_month = month_index(end)
        self.horizon_month = self.last_month + LOOKAHEAD_MONTHS
        self.end_minute = first_day_of_month(self.last_month + 1) * MINUTES_PER_DAY - 1
        self.fx = _simulate_fx(self.rng("fx"), self.calendar.month_starts.size)

    @property
    def regions(self) -> tuple[Region, ...]:
        """The regions of this size."""
        return self.size.regions

    @property
    def region_calendar(self) -> np.ndarray:
        """Per region index: 0 for the China calendar, 1 for the international one."""
        return np.array([int(region.international) for region in self.regions])

    def rng(self, component: str) -> np.random.Generator:
        """Return the generator of ``component``: independent of every other component's draws.

        Each part of the business draws from its own stream, so retuning one part does not
        reshuffle the others.
        """
        return np.random.default_rng([self.seed, zlib.crc32(component.encode())])

    def months(self) -> range:
        """Month numbers from the history start to the end month, both included."""
        return range(self.first_month, self.last_month + 1)


# Month-end USD/CNY anchors the random walk reverts to (roughly the 2021-2025 path).
_USD_ANCHORS = {
    "2020-01": 6.90,
    "2021-01": 6.47,
    "2022-01": 6.36,
    "2022-11": 7.15,
    "2023-06": 7.20,
    "2024-01": 7.15,
    "2025-01": 7.28,
    "2026-01": 7.05,
    "2030-01": 7.00,
}
HKD_PEG = 7.8


def _simulate_fx(rng: np.random.Generator, n_months: int) -> np.ndarray:
    """Return ``(3, n_months)`` CNY per unit of CNY, USD and HKD for every month number."""
    anchor_months = np.array([month_index(month) for month in _USD_ANCHORS])
    anchor_rates = np.log(np.array(list(_USD_ANCHORS.values())))
    months = np.arange(n_months)
    anchor = np.interp(months, anchor_months, anchor_rates)
    noise = np.zeros(n_months)
    shocks = rng.normal(0.0, 0.009, n_months)
    for month in range(1, n_months):
        # AR(1) around the anchor path: monthly moves of about 1%, mean-reverting in a year.
        noise[month] = 0.85 * noise[month - 1] + shocks[month]
    usd = np.round(np.exp(anchor + noise), 4)
    hkd = np.round(usd / (HKD_PEG * (1 + rng.normal(0.0, 0.0015, n_months))), 4)
    return np.vstack([np.ones(n_months), usd, hkd])
