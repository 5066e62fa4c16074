"""The files ``demodata.generate`` writes: layout, extract semantics, profiles, reproducibility."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import demodata
from demodata import sizes
from salesplan.entities import ENTITIES

MONTHS = [f"2025-{m:02d}" for m in (10, 11, 12)] + [f"2026-{m:02d}" for m in range(1, 11)]


def _digests(root: Path) -> dict[str, str]:
    landing = root / "landing"
    return {
        str(path.relative_to(landing)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(landing.rglob("*"))
        if path.is_file()
    }


def test_the_landing_folder_has_profiles_planning_config_and_thirteen_extract_months(small_home):
    root, summary = small_home
    landing = root / "landing"
    assert sorted(p.name for p in (landing / "extracts").iterdir()) == MONTHS
    assert summary.history_month == "2025-10"
    assert summary.extract_months == tuple(MONTHS)
    assert len(list((landing / "profiles").glob("*.yml"))) == 17
    if summary.planning_config is not None:
        assert (landing / "planning.yml").read_bytes() == (
            Path(__file__).resolve().parents[3] / "planning" / "examples" / "planning.yml"
        ).read_bytes()


def test_every_required_profile_has_a_non_empty_file_in_every_month(small_home, reader):
    root, _ = small_home
    profiles = reader.load_profiles(root)
    for month in MONTHS:
        folder = root / "landing" / "extracts" / month
        for profile in profiles.values():
            files = list(folder.glob(profile["pattern"]))
            if not profile["optional"]:
                assert files, f"{month}: no file for {profile['profile']}"
            for path in files:
                # An empty (0-byte) file is an error for ingestion; header-only is fine.
                assert path.stat().st_size > 0, path


def test_summary_counts_match_the_rows_in_the_files(small_home, reader):
    root, summary = small_home
    profiles = reader.load_profiles(root)
    by_profile = {}
    for written in summary.files:
        path = root / "landing" / "extracts" / written.path
        frame = reader.read_with_profile(path, profiles[written.profile])
        assert len(frame) == written.rows, written.path
        by_profile[written.profile] = by_profile.get(written.profile, 0) + written.rows
    assert summary.total_rows == sum(by_profile.values())
    assert (
        summary.rows_by_entity()["leads"]
        == by_profile["fxiaoke_leads"] + by_profile["salesforce_leads"]
    )
    assert "total" in summary.describe()


def test_same_seed_size_and_end_month_give_byte_identical_files(small_home, tmp_path):
    root, _ = small_home
    demodata.generate(tmp_path / "again", size="small", seed=7, end_month="2026-10")
    first, second = _digests(root), _digests(tmp_path / "again")
    assert first == second


def test_another_seed_gives_another_business(small_home, small_business):
    other = demodata.simulate("small", seed=8, end_month="2026-10")
    assert len(other.deals.opportunities) != len(small_business.deals.opportunities)


def test_dates_never_fall_after_their_extract_month(small_home, reader):
    root, _ = small_home
    for month in MONTHS:
        limit = pd.Timestamp(reader.month_end(month))
        for entity in ENTITIES.values():
            frame = reader.read_month(root, month, entity.name)
            for column in entity.columns:
                if column.not_after_extract and len(frame):
                    latest = pd.to_datetime(frame[column.name]).max()
                    assert pd.isna(latest) or latest <= limit, (month, entity.name, column.name)


def test_the_history_holds_the_state_at_its_month_end_and_deltas_only_changes(small_home, reader):
    root, _ = small_home
    history = reader.read_month(root, "2025-10", "opportunities")
    assert history["created_at"].min() < pd.Timestamp("2021-01-01")  # open when 2021 began
    assert history["created_at"].max() <= pd.Timestamp("2025-10-31 23:59")
    open_then = history[~history["is_closed"]]
    assert len(open_then) > 20
    delta = reader.read_month(root, "2025-11", "opportunities")
    created_in_month = delta["created_at"].between("2025-11-01", "2025-11-30 23:59")
    # The rest of the delta are older deals that moved a stage (or changed owner) in November.
    assert created_in_month.any()
    assert (~created_in_month).any()
    moved = delta[~created_in_month]
    before = history.set_index("opportunity_id").loc[moved["opportunity_id"]]
    changed = (before["stage"].to_numpy() != moved["stage"].to_numpy()) | (
        before["owner_rep_id"].to_numpy() != moved["owner_rep_id"].to_numpy()
    )
    moved_close = before["close_date"].to_numpy() != moved["close_date"].to_numpy()
    assert (changed | moved_close).all()


def test_latest_versions_across_extracts_equal_the_final_state(small_home, small_business, reader):
    root, _ = small_home
    at = small_business.world.end_minute
    created = small_business.leads["created"].to_numpy()
    truths = {
        "opportunities": small_business.opportunities_table(
            np.flatnonzero(small_business.opportunity_visible), at
        ),
        "leads": small_business.leads_table(np.flatnonzero(created <= at), at),
    }
    for entity, truth in truths.items():
        key = ENTITIES[entity].key[0]
        frames = [reader.read_month(root, month, entity).assign(_m=month) for month in MONTHS]
        latest = (
            pd.concat(frames)
            .sort_values("_m", kind="stable")
            .drop_duplicates(key, keep="last")
            .set_index(key)
            .sort_index()
        )
        expected = truth.to_pandas().set_index(key).sort_index()
        assert list(latest.index) == list(expected.index)
        for column in expected.columns:
            left, right = latest[column], expected[column]
            if column == "amount":
                left, right = left.astype(float), right.astype(float)
            if column.endswith("_at") or column == "close_date":
                left = pd.to_datetime(left).astype("datetime64[ns]")
                right = pd.to_datetime(right).astype("datetime64[ns]")
            pd.testing.assert_series_equal(
                left, right, check_names=False, check_dtype=False, obj=f"{entity}.{column}"
            )


def test_references_resolve_within_the_extracts_loaded_so_far(small_home, reader):
    root, _ = small_home
    seen: dict[str, set[str]] = {}
    keys = {entity.name: entity.key[0] for entity in ENTITIES.values()}
    frames_by_month = {
        month: {entity: reader.read_month(root, month, entity) for entity in ENTITIES}
        for month in MONTHS
    }
    for month in MONTHS:
        frames = frames_by_month[month]
        for entity, frame in frames.items():
            seen.setdefault(entity, set()).update(frame[keys[entity]].dropna().astype(str))
        for entity in ENTITIES.values():
            frame = frames[entity.name]
            for column in entity.columns:
                if not column.references or not len(frame):
                    continue
                target, _ = column.references.split(".")
                values = set(frame[column.name].dropna().astype(str))
                missing = values - seen[target]
                assert not missing, f"{month} {entity.name}.{column.name}: {sorted(missing)[:3]}"


def test_a_leavers_open_deals_are_re_extracted_with_the_new_owner(
    small_home, small_business, reader
):
    root, _ = small_home
    reps = pd.concat(reader.read_month(root, month, "reps").assign(_m=month) for month in MONTHS)
    left = reps[reps["end_date"].notna()].drop_duplicates("rep_id", keep="last")
    left = left[pd.to_datetime(left["end_date"]) >= "2025-11-01"]
    opportunities = small_business.deals.opportunities
    found = 0
    for _, leaver in left.iterrows():
        month = str(leaver["end_date"])[:7]
        delta = reader.read_month(root, month, "opportunities")
        history = pd.concat(
            reader.read_month(root, m, "opportunities") for m in MONTHS if m < month
        ).drop_duplicates("opportunity_id", keep="last")
        owned = history[(history["owner_rep_id"] == leaver["rep_id"]) & ~history["is_closed"]]
        for opportunity_id in owned["opportunity_id"]:
            row = delta[delta["opportunity_id"] == opportunity_id]
            if len(row) and row["owner_rep_id"].iloc[0] != leaver["rep_id"]:
                found += 1
    assert found > 0 or len(opportunities) == 0


def test_the_chinese_crm_export_is_gbk_with_chinese_headers_and_labels(small_home):
    root, _ = small_home
    path = root / "landing" / "extracts" / "2025-10" / "fxiaoke" / "商机导出_2025-10.csv"
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("gbk")
    header = text.splitlines()[0]
    assert "商机编号" in header
    assert "负责人ID" in header
    assert "赢单" in text
    assert "输单" in text
    assert "华东" in text
    assert "是" in text
    assert "/2024 " not in text
    assert "2024/03/" in text


def test_the_salesforce_export_uses_its_labels_and_us_dates(small_home):
    root, _ = small_home
    path = (
        root / "landing" / "extracts" / "2025-10" / "salesforce" / "Opportunity_Report_2025-10.csv"
    )
    frame = pd.read_csv(path, dtype=str)
    assert {"Opportunity ID", "Created Date", "Close Date", "Stage", "Amount"} <= set(frame.columns)
    assert set(frame["Stage"]) <= {
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    }
    assert frame["Close Date"].str.fullmatch(r"\d\d/\d\d/\d{4}").all()
    assert frame["Created Date"].str.fullmatch(r"\d\d/\d\d/\d{4} \d{1,2}:\d\d [AP]M").all()
    assert set(frame["Amount Currency"]) <= {"USD", "HKD"}


def test_planning_inputs_land_when_people_file_them(small_home, reader):
    root, _ = small_home
    targets = reader.read_month(root, "2025-10", "annual_targets")
    assert sorted(targets["fiscal_year"].unique()) == [2021, 2022, 2023, 2024, 2025]
    december = reader.read_month(root, "2025-12", "annual_targets")
    assert set(december["fiscal_year"]) == {2026}
    assert set(december["scope"]) == {"company"} | {
        f"region={code}" for code in ("EAST", "SOUTH", "NORTH", "INTL")
    }
    with_adjustments = [m for m in MONTHS if len(reader.read_month(root, m, "adjustments"))]
    assert with_adjustments == ["2026-03", "2026-06", "2026-09"]
    for month in with_adjustments:
        adjustments = reader.read_month(root, month, "adjustments")
        assert (adjustments["period"] > month).all()
        assert adjustments["author"].str.len().gt(0).all()


def test_large_histories_are_split_into_one_file_per_month(tmp_path, monkeypatch, reader):
    small = sizes.SIZES["small"]
    monkeypatch.setitem(sizes.SIZES, "small", dataclasses.replace(small, split_rows=2_000))
    summary = demodata.generate(tmp_path, size="small", seed=7, end_month="2026-10")
    files = summary.files_by_entity_and_month()
    activities = files[("activities", "2025-10")]
    assert len(activities) == 58  # one per month, 2021-01 .. 2025-10
    assert "2025-10/crm/activities_2021-01.csv" in activities
    assert files[("reps", "2025-10")] == ["2025-10/crm/reps_2025-10.csv"]


def test_unknown_sizes_and_too_early_end_months_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown demo size 'huge'"):
        demodata.generate(tmp_path, size="huge")
    with pytest.raises(ValueError, match="too early"):
        demodata.generate(tmp_path, size="small", end_month="2021-06")
