"""Fixtures: the simulated demo businesses, a generated small home and a tiny profile reader.

The realism tests use the ``default`` business in memory (simulating it takes about a second);
the file tests use one ``small`` home generated per session. ``read_with_profile`` applies a
source profile the way docs/architecture.md describes it, independently of ``ingestion``, so
the profiles the generator writes are checked against the files it writes.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from demodata import DemoBusiness, GenerationSummary, generate, simulate
from salesplan.entities import ENTITIES


@pytest.fixture(scope="session")
def default_business() -> DemoBusiness:
    return simulate("default", seed=7, end_month="2026-10")


@pytest.fixture(scope="session")
def small_business() -> DemoBusiness:
    return simulate("small", seed=7, end_month="2026-10")


@pytest.fixture(scope="session")
def small_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    root = tmp_path_factory.mktemp("small_demo")
    return root, generate(root, size="small", seed=7, end_month="2026-10")


class Frames:
    """The canonical end-state tables of a business as pandas frames (built on first use)."""

    def __init__(self, business: DemoBusiness) -> None:
        self.business = business
        self._cache: dict[str, pd.DataFrame] = {}

    def __getattr__(self, entity: str) -> pd.DataFrame:
        if entity.startswith("_") or entity == "business":
            raise AttributeError(entity)
        if entity not in self._cache:
            self._cache[entity] = self._build(entity)
        return self._cache[entity]

    def _build(self, entity: str) -> pd.DataFrame:
        business = self.business
        at = business.world.end_minute
        if entity == "opportunities":
            rows = np.flatnonzero(business.opportunity_visible)
            return business.opportunities_table(rows, at).to_pandas()
        if entity == "leads":
            created = business.leads["created"].to_numpy()
            return business.leads_table(np.flatnonzero(created <= at), at).to_pandas()
        if entity == "accounts":
            return business.accounts_table(np.arange(len(business.deals.accounts))).to_pandas()
        if entity == "reps":
            hired = business.organisation.reps["hire_day"].to_numpy() * 1440 <= at
            return business.reps_table(np.flatnonzero(hired), at).to_pandas()
        if entity == "order_lines":
            rows = np.arange(len(business.ledger.order_lines))
            return business.order_lines_table(rows).to_pandas()
        if entity == "invoices":
            return business.invoices_table(np.arange(len(business.ledger.invoices))).to_pandas()
        if entity == "payments":
            return business.payments_table(np.arange(len(business.ledger.payments))).to_pandas()
        if entity == "fx_rates":
            return business.fx_rates_table(list(business.world.months())).to_pandas()
        raise AttributeError(entity)


@pytest.fixture(scope="session")
def default_frames(default_business: DemoBusiness) -> Frames:
    return Frames(default_business)


def read_with_profile(path: Path, profile: dict) -> pd.DataFrame:
    """Read one extract file and map it onto its canonical entity, as the profile says."""
    entity = ENTITIES[profile["entity"]]
    if profile["format"] == "csv":
        raw = pd.read_csv(
            path,
            encoding=profile.get("encoding", "utf-8"),
            sep=profile.get("delimiter", ","),
            dtype=str,
            keep_default_na=False,
        )
    elif profile["format"] == "parquet":
        raw = pd.read_parquet(path)
    else:
        raw = pd.read_excel(path, sheet_name=profile.get("sheet", 0), dtype=object)
    columns = profile.get("columns", {})
    values = profile.get("values", {})
    formats = profile.get("date_formats", {})
    booleans = profile.get("booleans", {})
    true_values = {"true", *map(str, booleans.get(True, []))}
    false_values = {"false", *map(str, booleans.get(False, []))}
    frame = pd.DataFrame(index=raw.index)
    for column in entity.columns:
        if column.name in profile.get("constants", {}):
            frame[column.name] = profile["constants"][column.name]
            continue
        source = columns.get(column.name, column.name)
        if source not in raw.columns:
            frame[column.name] = None
            continue
        series = (
            raw[source].where(raw[source] != "", None)
            if raw[source].dtype == object
            else raw[source]
        )
        if column.name in values:
            mapped = series.map(values[column.name])
            unknown = series.notna() & mapped.isna()
            assert not unknown.any(), f"{path}: unmapped {column.name} {series[unknown].iloc[0]!r}"
            series = mapped
        if column.dtype in ("timestamp", "date") and series.dtype == object:
            fmt = formats.get(column.name)
            series = pd.to_datetime(series, format=fmt) if fmt else pd.to_datetime(series)
        elif column.dtype == "boolean" and series.dtype == object:
            assert set(series.dropna()) <= true_values | false_values, f"{path}: {column.name}"
            series = series.map(lambda v: None if v is None else v in true_values)
        elif column.dtype in ("decimal", "integer") and series.dtype == object:
            series = pd.to_numeric(series)
        frame[column.name] = series
    return frame


def load_profiles(home: Path) -> dict[str, dict]:
    profiles = {}
    for path in sorted((home / "landing" / "profiles").glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        profiles[document["profile"]] = document
    return profiles


def read_month(home: Path, month: str, entity: str) -> pd.DataFrame:
    """Every file of ``entity`` in extract folder ``month``, mapped and concatenated."""
    return _read_month(home, month, entity).copy()


@functools.cache
def _read_month(home: Path, month: str, entity: str) -> pd.DataFrame:
    folder = home / "landing" / "extracts" / month
    frames = []
    for profile in load_profiles(home).values():
        if profile["entity"] != entity:
            continue
        for path in sorted(folder.glob(profile["pattern"])):
            frames.append(read_with_profile(path, profile).assign(_file=str(path.name)))
    if not frames:
        return pd.DataFrame(columns=[*ENTITIES[entity].column_names, "_file"])
    return pd.concat(frames, ignore_index=True)


def month_end(month: str) -> dt.datetime:
    first = dt.date.fromisoformat(f"{month}-01")
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return dt.datetime.combine(following, dt.time()) - dt.timedelta(seconds=1)


@pytest.fixture(scope="session")
def reader() -> object:
    """The profile reader helpers, for tests (conftest modules are not importable by name)."""

    class Reader:
        read_with_profile = staticmethod(read_with_profile)
        load_profiles = staticmethod(load_profiles)
        read_month = staticmethod(read_month)
        month_end = staticmethod(month_end)

    return Reader()
