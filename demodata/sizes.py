"""The demo sizes: how many regions, reps and partners, and how busy each rep is."""

from __future__ import annotations

from dataclasses import dataclass

from demodata.catalog import REGIONS, Region


@dataclass(frozen=True)
class Size:
    """One demo size.

    Attributes:
        name: the size's name on the command line.
        region_codes: the regions that exist in this size.
        reps: sales reps (without managers) employed at the end of the history.
        partners: channel partners at the end of the history.
        volume: multiplier on each rep's deal flow (``small`` is thinned so tests run fast).
        split_rows: history files above this many rows are split into one file per month.
    """

    name: str
    region_codes: tuple[str, ...]
    reps: int
    partners: int
    volume: float = 1.0
    split_rows: int = 50_000

    @property
    def regions(self) -> tuple[Region, ...]:
        """The regions of this size, in catalog order."""
        return tuple(region for region in REGIONS if region.code in self.region_codes)


_ALL_REGIONS = tuple(region.code for region in REGIONS)

SIZES: dict[str, Size] = {
    size.name: size
    for size in (
        # Four regions (three China regions and INTL, so both non-canonical exports exist).
        Size("small", ("EAST", "SOUTH", "NORTH", "INTL"), reps=20, partners=8, volume=0.3),
        Size("default", _ALL_REGIONS, reps=120, partners=40),
        Size("large", _ALL_REGIONS, reps=1_200, partners=400),
        Size("xlarge", _ALL_REGIONS, reps=12_000, partners=4_000),
    )
}


def size_named(name: str) -> Size:
    """Return the size called ``name``.

    Raises:
        ValueError: naming the known sizes when ``name`` is unknown.
    """
    try:
        return SIZES[name]
    except KeyError:
        raise ValueError(f"unknown demo size {name!r}; choose one of {', '.join(SIZES)}") from None
