"""Write the demo business as a landing folder: profiles, planning.yml and monthly extracts.

The first extract folder (``end_month`` minus 12 months) holds the history from 2021-01 as the
CRM and ERP showed it at the end of that month, split into one file per calendar month for
entities above the size's ``split_rows``; every later folder is a monthly delta holding the
records created or changed in that month (docs/architecture.md, "SALESPLAN_HOME"). Files are
written month by month, so memory stays bounded by the simulation, not by the output.
"""

from __future__ import annotations

import importlib.resources
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from demodata import catalog
from demodata.activities import activities_in_month
from demodata.business import DemoBusiness, simulate
from demodata.extract_files import write_csv, write_parquet, write_xlsx
from demodata.planning_inputs import adjustment_months, adjustments, annual_targets, regions_frame
from demodata.shapes import SHAPES, Shape, shapes_of
from demodata.timeline import MINUTES_PER_DAY, NULL, first_day_of_month, month_index, month_label
from salesplan.entities import ENTITIES
from salesplan.home import SalesplanHome, resolve_home

HISTORY_MONTHS_BEFORE_END = 12
# A lead or opportunity changes at most this long after it was created (leads: ~5 months of
# nurturing and disqualification; opportunities: enterprise cycles plus slips, ~2 years).
_LEAD_LIFETIME_DAYS = 400
_OPPORTUNITY_LIFETIME_DAYS = 1_100


@dataclass(frozen=True)
class WrittenFile:
    """One extract file: its month folder, entity, profile, path and data rows."""

    extract_month: str
    entity: str
    profile: str
    path: str
    rows: int


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate` wrote.

    Attributes:
        home: the home folder root.
        size: the demo size.
        seed: the seed.
        end_month: the last extract month.
        history_month: the first extract folder, holding the history.
        files: every extract file, in writing order (paths relative to ``landing/extracts``).
        profiles: the source profile files written.
        planning_config: ``landing/planning.yml`` if it was copied, else ``None``.
    """

    home: Path
    size: str
    seed: int
    end_month: str
    history_month: str
    files: tuple[WrittenFile, ...]
    profiles: tuple[Path, ...]
    planning_config: Path | None

    @property
    def total_rows(self) -> int:
        """Data rows over all extract files."""
        return sum(f.rows for f in self.files)

    @property
    def extract_months(self) -> tuple[str, ...]:
        """The extract folders written, oldest first."""
        return tuple(dict.fromkeys(f.extract_month for f in self.files))

    def rows_by_entity(self) -> dict[str, int]:
        """Data rows per entity over all extract months."""
        totals: dict[str, int] = defaultdict(int)
        for f in self.files:
            totals[f.entity] += f.rows
        return dict(totals)

    def rows_by_entity_and_month(self) -> dict[tuple[str, str], int]:
        """Data rows per (entity, extract month)."""
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for f in self.files:
            totals[(f.entity, f.extract_month)] += f.rows
        return dict(totals)

    def files_by_entity_and_month(self) -> dict[tuple[str, str], list[str]]:
        """Files per (entity, extract month)."""
        files: dict[tuple[str, str], list[str]] = defaultdict(list)
        for f in self.files:
            files[(f.entity, f.extract_month)].append(f.path)
        return dict(files)

    def describe(self) -> str:
        """A short human-readable table: rows per entity, files and the total."""
        lines = [
            f"demo '{self.size}' (seed {self.seed}) in {self.home / 'landing'}: extracts "
            f"{self.history_month} (history) .. {self.end_month}"
        ]
        counts = self.rows_by_entity()
        n_files: dict[str, int] = defaultdict(int)
        for f in self.files:
            n_files[f.entity] += 1
        for entity, rows in counts.items():
            lines.append(f"  {entity:<27} {rows:>12,} rows in {n_files[entity]:>4} files")
        lines.append(f"  {'total':<27} {self.total_rows:>12,} rows in {len(self.files):>4} files")
        return "\n".join(lines)


def generate(
    home_root: Path | str,
    size: str = "small",
    seed: int = 7,
    end_month: str = "2026-10",
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write a complete demo ``landing/`` folder under ``home_root``.

    Writes the source profiles, ``planning.yml`` (copied from ``planning/examples``), the
    history extract folder and one delta folder per month up to ``end_month``. Extract folders
    of those months that already exist are replaced, so a re-run gives the same files.

    Args:
        home_root: the ``SALESPLAN_HOME`` folder.
        size: ``small``, ``default``, ``large`` or ``xlarge``.
        seed: every random draw derives from it; same seed, size and end month give
            byte-identical files.
        end_month: the last extract month, ``YYYY-MM``.
        progress: receives short messages on long steps.

    Returns:
        The files written with their row counts.

    Raises:
        ValueError: for an unknown size, or an end month too early to leave a history year.
    """
    say = progress or (lambda _: None)
    home = resolve_home(home_root)
    end = month_index(end_month)
    if end - HISTORY_MONTHS_BEFORE_END <= month_index("2021-01"):
        raise ValueError(
            f"end month {end_month} is too early: the history starts in 2021-01 and needs at "
            f"least one year before the {HISTORY_MONTHS_BEFORE_END} delta months; use 2022-02 "
            "or later"
        )
    business = simulate(size, seed, end_month, say)
    profiles = write_profiles(home)
    planning_config = _copy_planning_config(home, say)
    writer = _ExtractWriter(home, business, say)
    writer.write_all()
    return GenerationSummary(
        home=home.root,
        size=size,
        seed=seed,
        end_month=end_month,
        history_month=month_label(writer.history_month),
        files=tuple(writer.files),
        profiles=tuple(profiles),
        planning_config=planning_config,
    )


def write_profiles(home: SalesplanHome) -> list[Path]:
    """Write one profile YAML per demo file shape into ``landing/profiles``."""
    home.profiles.mkdir(parents=True, exist_ok=True)
    written = []
    for shape in SHAPES:
        path = home.profiles / f"{shape.profile}.yml"
        text = yaml.safe_dump(
            shape.profile_document(), allow_unicode=True, sort_keys=False, width=100
        )
        header = (
            f"# Source profile written by the demo generator: {shape.entity} ({shape.format}).\n"
        )
        path.write_text(header + text, encoding="utf-8")
        written.append(path)
    return written


def _copy_planning_config(home: SalesplanHome, say: Callable[[str], None]) -> Path | None:
    example = importlib.resources.files("planning").joinpath("examples/planning.yml")
    if not example.is_file():
        say("planning/examples/planning.yml not found: landing/planning.yml not written")
        return None
    home.planning_config.parent.mkdir(parents=True, exist_ok=True)
    home.planning_config.write_bytes(example.read_bytes())
    return home.planning_config


@dataclass
class _HistoryFile:
    """Collects the monthly tables of one shape in the history folder.

    Below ``split_rows`` they become one file named after the history month; above it, one
    file per calendar month (so that ingestion can stream large histories).
    """

    writer: _ExtractWriter
    shape: Shape
    split_rows: int
    buffered: list[tuple[str, pa.Table]] = field(default_factory=list)
    rows: int = 0
    split: bool = False

    def add(self, label: str, table: pa.Table) -> None:
        if self.split:
            if table.num_rows:
                self.writer.write(self.shape, label, table)
            return
        self.buffered.append((label, table))
        self.rows += table.num_rows
        if self.rows > self.split_rows:
            self.split = True
            for buffered_label, buffered in self.buffered:
                if buffered.num_rows:
                    self.writer.write(self.shape, buffered_label, buffered)
            self.buffered = []

    def close(self, label: str) -> None:
        if not self.split:
            tables = [table for _, table in self.buffered]
            self.writer.write(self.shape, label, pa.concat_tables(tables))
        self.buffered = []


class _ExtractWriter:
    """Writes the history folder and the monthly deltas of one simulated business."""

    def __init__(self, home: SalesplanHome, business: DemoBusiness, say: Callable[[str], None]):
        self.home = home
        self.business = business
        self.world = business.world
        self.say = say
        self.history_month = self.world.last_month - HISTORY_MONTHS_BEFORE_END
        self.files: list[WrittenFile] = []
        self.extract_label = ""
        self.next_activity = 1
        international = np.array([r.international for r in self.world.regions])
        self.lead_international = international[business.leads["region"].to_numpy()]
        self.opportunity_international = international[
            business.deals.opportunities["region"].to_numpy()
        ]
        self.opportunities_visible = int(
            np.searchsorted(
                business.deals.opportunities["created"].to_numpy(),
                self.world.end_minute,
                side="right",
            )
        )

    # ------------------------------------------------------------- plumbing
    def write(self, shape: Shape, label: str, table: pa.Table) -> None:
        relative = f"{self.extract_label}/{shape.file_name(label)}"
        path = self.home.extracts / relative
        source = shape.to_source(table)
        if shape.format == "csv":
            write_csv(source, path, encoding=shape.encoding, quote_all=shape.quote_all)
        elif shape.format == "parquet":
            write_parquet(source, path)
        else:
            write_xlsx(source, path, sheet_title=shape.entity)
        self.files.append(
            WrittenFile(self.extract_label, shape.entity, shape.profile, relative, table.num_rows)
        )

    def _minute_bounds(self, month: int) -> tuple[int, int]:
        first = first_day_of_month(month) * MINUTES_PER_DAY
        return first, first_day_of_month(month + 1) * MINUTES_PER_DAY - 1

    def _day_bounds(self, month: int) -> tuple[int, int]:
        return first_day_of_month(month), first_day_of_month(month + 1) - 1

    def _by_market(
        self, entity: str, international: np.ndarray
    ) -> Iterable[tuple[Shape, np.ndarray]]:
        for shape in shapes_of(entity):
            yield shape, international == (shape.market == "international")

    # --------------------------------------------------------------- folders
    def write_all(self) -> None:
        months = range(self.history_month, self.world.last_month + 1)
        for month in months:
            folder = self.home.extract_folder(month_label(month))
            if folder.exists():
                shutil.rmtree(folder)
        self._write_history()
        for month in range(self.history_month + 1, self.world.last_month + 1):
            self._write_delta(month)

    def _write_history(self) -> None:
        business, world = self.business, self.world
        cutoff = self.history_month
        label = month_label(cutoff)
        self.extract_label = label
        _, at = self._minute_bounds(cutoff)
        self.say(f"writing the history extract {label} (2021-01..{label})")
        split_rows = world.size.split_rows
        monthly = {
            shape.profile: _HistoryFile(self, shape, split_rows)
            for entity in (
                "leads",
                "opportunities",
                "opportunity_stage_history",
                "activities",
                "accounts",
                "order_lines",
                "invoices",
                "payments",
            )
            for shape in shapes_of(entity)
        }
        leads_created = business.leads["created"].to_numpy()
        opportunities_created = business.deals.opportunities["created"].to_numpy()
        visible = business.opportunity_visible
        # From the burn-in on: opportunities still open in 2021 and their accounts and stages.
        for month in range(world.burn_in_month, cutoff + 1):
            month_text = month_label(month)
            if month % 12 == 0:
                self.say(f"  history {month_text[:4]}")
            first, last = self._minute_bounds(month)
            rows = _between(leads_created, first, last)
            table = business.leads_table(rows, at)
            for shape, mask in self._by_market("leads", self.lead_international[rows]):
                monthly[shape.profile].add(month_text, table.filter(pa.array(mask)))
            rows = _between(opportunities_created, first, last)
            rows = rows[visible[rows]]
            table = business.opportunities_table(rows, at)
            for shape, mask in self._by_market(
                "opportunities", self.opportunity_international[rows]
            ):
                monthly[shape.profile].add(month_text, table.filter(pa.array(mask)))
            for entity, table in self._events_in(month, with_activities=month >= world.first_month):
                monthly[f"{'erp' if entity in _ERP else 'crm'}_{entity}"].add(month_text, table)
        for history_file in monthly.values():
            history_file.close(label)

        reps = business.organisation.reps
        self._write_one(
            "reps",
            business.reps_table(np.flatnonzero(reps["hire_day"] <= at // MINUTES_PER_DAY), at),
        )
        partners = business.organisation.partners
        joined = np.flatnonzero(partners["join_day"].to_numpy() <= at // MINUTES_PER_DAY)
        self._write_one("partners", business.partners_table(joined, at))
        launched = [i for i, p in enumerate(catalog.PRODUCTS) if month_index(p.launch) <= cutoff]
        self._write_one("products", business.products_table(np.array(launched), cutoff))
        self._write_one(
            "fx_rates", business.fx_rates_table(list(range(world.first_month, cutoff + 1)))
        )
        year = int(label[:4])
        self._write_one("regions", _arrow(regions_frame(world, year), "regions"))
        last_target_year = year + 1 if label.endswith("-12") else year
        targets = [
            annual_targets(world, business.actuals, fiscal_year)
            for fiscal_year in range(2021, last_target_year + 1)
        ]
        self._write_one("annual_targets", _arrow(pd.concat(targets), "annual_targets"))

    def _write_delta(self, month: int) -> None:
        business, world = self.business, self.world
        label = month_label(month)
        self.extract_label = label
        self.say(f"writing the delta extract {label}")
        first, at = self._minute_bounds(month)
        first_day, last_day = self._day_bounds(month)

        rows = self._changed_leads(first, at)
        table = business.leads_table(rows, at)
        for shape, mask in self._by_market("leads", self.lead_international[rows]):
            self.write(shape, label, table.filter(pa.array(mask)))
        rows = self._changed_opportunities(first, at)
        table = business.opportunities_table(rows, at)
        for shape, mask in self._by_market("opportunities", self.opportunity_international[rows]):
            self.write(shape, label, table.filter(pa.array(mask)))
        for entity, table in self._events_in(month):
            self._write_one(entity, table)

        reps = business.organisation.reps
        hire, end = reps["hire_day"].to_numpy(), reps["end_day"].to_numpy()
        changed = ((hire >= first_day) & (hire <= last_day)) | (
            (end != NULL) & (end >= first_day) & (end <= last_day)
        )
        self._write_one("reps", business.reps_table(np.flatnonzero(changed), at))
        partners = business.organisation.partners
        joined = partners["join_day"].to_numpy()
        changes = business.organisation.partner_tier_changes
        retiered = changes["partner"].to_numpy()[
            (changes["day"].to_numpy() >= first_day) & (changes["day"].to_numpy() <= last_day)
        ]
        changed = (joined >= first_day) & (joined <= last_day)
        changed[retiered] = True
        self._write_one("partners", business.partners_table(np.flatnonzero(changed), at))
        moved = [
            i
            for i, p in enumerate(catalog.PRODUCTS)
            if any(month_index(first_month) == month for first_month, _ in p.stages)
        ]
        self._write_one("products", business.products_table(np.array(moved, dtype=int), month))
        self._write_one("fx_rates", business.fx_rates_table([month]))
        if label.endswith("-12"):
            # Next year's targets and market sizes are filed in December.
            year = int(label[:4]) + 1
            self._write_one("regions", _arrow(regions_frame(world, year), "regions"))
            targets = annual_targets(world, business.actuals, year)
            self._write_one("annual_targets", _arrow(targets, "annual_targets"))
        if month in adjustment_months(world):
            frame = adjustments(
                world,
                business.organisation,
                business.deals,
                business.ledger,
                business.actuals,
                month,
            )
            self._write_one("adjustments", _arrow(frame, "adjustments"))

    def _write_one(self, entity: str, table: pa.Table) -> None:
        (shape,) = shapes_of(entity)
        self.write(shape, self.extract_label, table)

    # ------------------------------------------------------------ selections
    def _events_in(
        self, month: int, with_activities: bool = True
    ) -> Iterable[tuple[str, pa.Table]]:
        """Immutable records of ``month``: stage entries, activities, accounts, ERP."""
        business = self.business
        first, last = self._minute_bounds(month)
        first_day, last_day = self._day_bounds(month)
        history = business.stage_history
        yield (
            "opportunity_stage_history",
            business.stage_history_table(_between(history["entered"].to_numpy(), first, last)),
        )
        if with_activities:
            frame = activities_in_month(
                self.world,
                business.organisation.reps,
                business.deals.opportunities,
                business.leads,
                month,
            )
            yield "activities", business.activities_table(frame, self.next_activity)
            self.next_activity += len(frame)
        order = business.account_order
        created = business.deals.accounts["created"].to_numpy()[order]
        yield "accounts", business.accounts_table(order[_between(created, first, last)])
        ledger = business.ledger
        yield (
            "order_lines",
            business.order_lines_table(
                _between(ledger.order_lines["order_day"].to_numpy(), first_day, last_day)
            ),
        )
        yield (
            "invoices",
            business.invoices_table(
                _between(ledger.invoices["invoice_day"].to_numpy(), first_day, last_day)
            ),
        )
        yield (
            "payments",
            business.payments_table(
                _between(ledger.payments["paid_day"].to_numpy(), first_day, last_day)
            ),
        )

    def _changed_leads(self, first: int, last: int) -> np.ndarray:
        leads = self.business.leads
        created = leads["created"].to_numpy()
        low = np.searchsorted(created, first - _LEAD_LIFETIME_DAYS * MINUTES_PER_DAY)
        high = np.searchsorted(created, last, side="right")
        window = slice(low, high)
        changed = np.zeros(high - low, dtype=bool)
        for column in ("created", "mql", "sql", "disqualified", "converted"):
            values = leads[column].to_numpy()[window]
            changed |= (values >= first) & (values <= last)
        return np.arange(low, high)[changed]

    def _changed_opportunities(self, first: int, last: int) -> np.ndarray:
        opportunities = self.business.deals.opportunities
        created = opportunities["created"].to_numpy()
        low = np.searchsorted(created, first - _OPPORTUNITY_LIFETIME_DAYS * MINUTES_PER_DAY)
        high = min(np.searchsorted(created, last, side="right"), self.opportunities_visible)
        window = slice(low, high)
        changed = np.zeros(high - low, dtype=bool)
        columns = [
            *(f"stage_{k}" for k in range(7)),
            *(f"reassigned_at_{k}" for k in (1, 2, 3)),
            "close_date_moved_at",
        ]
        for column in columns:
            values = opportunities[column].to_numpy()[window]
            changed |= (values >= first) & (values <= last)
        return np.arange(low, high)[changed]


_ERP = frozenset({"order_lines", "invoices", "payments"})


def _between(sorted_values: np.ndarray, first: int, last: int) -> np.ndarray:
    """Positions of the values in ``[first, last]`` of an ascending array."""
    low = np.searchsorted(sorted_values, first)
    high = np.searchsorted(sorted_values, last, side="right")
    return np.arange(low, high)


def _arrow(frame: pd.DataFrame, entity: str) -> pa.Table:
    """A planning-input frame as a table with the canonical column types."""
    columns = {}
    for column in ENTITIES[entity].columns:
        values = frame[column.name]
        if column.dtype == "decimal":
            columns[column.name] = pa.array(values.astype(float)).cast(pa.decimal128(18, 2))
        elif column.dtype == "integer":
            columns[column.name] = pa.array(values.astype("int64"))
        elif column.dtype == "boolean":
            columns[column.name] = pa.array(values.astype(bool))
        else:
            columns[column.name] = pa.array(values.astype(str), pa.string())
    return pa.table(columns)
