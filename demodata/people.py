"""The sales organisation: reps and managers with hires and leavers, and channel partners."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from demodata import catalog
from demodata.timeline import NULL, day_of, first_day_of_month, month_index
from demodata.world import World

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰晨浩宇欣怡婷凯鹏飞雪琳博文斌慧"
_FIRST_NAMES = (
    "James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Emily", "Daniel", "Grace",
    "Kevin", "Olivia", "Ryan", "Chloe", "Jason", "Hannah", "Eric", "Sophie", "Brian", "Natalie",
    "Wei", "Priya", "Arjun", "Mei", "Kenji", "Aisha", "Lucas", "Elena",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Chan", "Wong", "Lee", "Tan", "Lim", "Ng", "Brown", "Taylor", "Wilson", "Kumar",
    "Sharma", "Nguyen", "Garcia", "Müller", "Rossi", "Silva", "Kim", "Park", "Sato", "Cohen",
    "Evans", "Hughes", "Clarke",
)  # fmt: skip
_CITIES = (
    "杭州", "上海", "南京", "苏州", "宁波", "广州", "深圳", "厦门", "北京", "天津", "济南",
    "武汉", "长沙", "成都", "重庆", "西安", "兰州", "沈阳", "长春", "合肥",
)  # fmt: skip
_WORDS = (
    "云帆", "智联", "数科", "汇通", "启明", "博远", "联创", "华信", "天成",
    "新元", "卓越", "恒泰", "鼎盛", "瑞达", "金桥", "东方", "远景",
)  # fmt: skip
_INTL_WORDS = (
    "Pacific", "Harbor", "Summit", "Crescent", "Meridian", "Atlas", "Lotus", "Orchid", "Bridge",
    "Northstar", "Jade", "Vista",
)  # fmt: skip


@dataclass(frozen=True)
class Organisation:
    """Reps (managers included) and partners, one row each, with numeric codes.

    ``reps`` columns: ``region`` (index into ``World.regions``), ``team``, ``manager``
    (row of the manager, -1 for managers), ``hire_day``, ``end_day`` (``NULL`` if employed),
    ``tier`` (0-3 = A-D), ``is_manager``, ``successor`` (row taking over a leaver's book),
    ``name``, ``team_name``. ``partners`` columns: ``region``, ``tier`` (0-2, at joining),
    ``join_day``, ``name``. ``partner_tier_changes``: ``partner``, ``day``, ``tier``.
    """

    reps: pd.DataFrame
    partners: pd.DataFrame
    partner_tier_changes: pd.DataFrame


def chinese_names(rng: np.random.Generator, n: int) -> list[str]:
    """Return ``n`` Chinese personal names (surname plus one or two given characters)."""
    surnames = rng.choice(list(_SURNAMES), n)
    first = rng.choice(list(_GIVEN), n)
    second = np.where(rng.random(n) < 0.7, rng.choice(list(_GIVEN), n), "")
    return [a + b + c for a, b, c in zip(surnames, first, second, strict=True)]


def english_names(rng: np.random.Generator, n: int) -> list[str]:
    """Return ``n`` personal names for the international region."""
    first = rng.choice(_FIRST_NAMES, n)
    last = rng.choice(_LAST_NAMES, n)
    return [f"{a} {b}" for a, b in zip(first, last, strict=True)]


def company_names(rng: np.random.Generator, n: int, international: bool, suffix: str) -> list[str]:
    """Return ``n`` company names; ``suffix`` is the legal form (有限公司, Ltd, ...)."""
    if international:
        a = rng.choice(_INTL_WORDS, n)
        b = rng.choice(["Systems", "Solutions", "Technologies", "Trading", "Holdings"], n)
        return [f"{x} {y} {suffix}" for x, y in zip(a, b, strict=True)]
    city = rng.choice(_CITIES, n)
    word = rng.choice(_WORDS, n)
    return [f"{c}{w}{suffix}" for c, w in zip(city, word, strict=True)]


def simulate_organisation(world: World) -> Organisation:
    """Simulate the sales organisation of ``world`` month by month.

    Each region's quota-carrying headcount follows its growth (0.6 of the region's bookings
    growth comes from headcount, the rest from productivity), reps leave with a tier-dependent
    monthly chance (~12% a year) and are replaced by new hires who mostly start as tier C/D.
    Teams of about eight reps each have a manager who stays for the whole history.
    """
    return Organisation(*_simulate_reps(world), *_simulate_partners(world))


def _headcount(region: catalog.Region, end_headcount: int, month: int, end_month: int) -> float:
    return end_headcount * (1 + region.growth) ** (0.6 * (month - end_month) / 12)


def _simulate_reps(world: World) -> tuple[pd.DataFrame]:
    rng = world.rng("reps")
    regions = world.regions
    total_weight = sum(region.weight for region in regions)
    rows: list[dict[str, object]] = []
    team_names: list[str] = []
    # Managers and the first reps were hired before the simulation starts (2017).
    early_start, early_end = day_of(dt.date(2015, 6, 1)), day_of(dt.date(2016, 12, 1))

    def hire(
        region_index: int, team: int, manager: int, day: int, tier: int, is_manager: bool
    ) -> int:
        rows.append(
            {
                "region": region_index,
                "team": team,
                "manager": manager,
                "hire_day": day,
                "end_day": NULL,
                "tier": tier,
                "is_manager": is_manager,
            }
        )
        return len(rows) - 1

    for region_index, region in enumerate(regions):
        end_headcount = max(2, round(world.size.reps * region.weight / total_weight))
        n_teams = math.ceil(end_headcount / catalog.TEAM_SIZE)
        teams = []
        for number in range(1, n_teams + 1):
            team = len(team_names)
            team_names.append(f"{region.code}-{number}")
            manager = hire(region_index, team, -1, int(rng.integers(0, early_start)), 0, True)
            teams.append((team, manager))
        members: dict[int, list[int]] = {team: [] for team, _ in teams}

        def join(
            day: int,
            tier: int,
            teams: list[tuple[int, int]] = teams,
            members: dict[int, list[int]] = members,
            region_index: int = region_index,
        ) -> None:
            # New hires join the smallest team.
            team, manager = min(teams, key=lambda item: (len(members[item[0]]), item[0]))
            members[team].append(hire(region_index, team, manager, day, tier, False))

        start = _headcount(region, end_headcount, world.burn_in_month, world.last_month)
        for _ in range(round(start)):
            tier = int(rng.choice(4, p=catalog.REP_TIER_MIX_INITIAL))
            join(int(rng.integers(early_start, early_end)), tier)
        for month in range(world.burn_in_month, world.horizon_month + 1):
            month_start = first_day_of_month(month)
            month_days = first_day_of_month(month + 1) - month_start
            for team, _ in teams:
                staying = []
                for rep in members[team]:
                    row = rows[rep]
                    tenure_days = month_start - int(row["hire_day"])
                    attrition = catalog.REP_MONTHLY_ATTRITION[catalog.REP_TIERS[int(row["tier"])]]
                    if tenure_days > 90 and rng.random() < attrition:
                        row["end_day"] = month_start + int(rng.integers(0, month_days))
                    else:
                        staying.append(rep)
                members[team] = staying
            target = round(_headcount(region, end_headcount, month, world.last_month))
            active = sum(len(team_members) for team_members in members.values())
            for _ in range(max(0, target - active)):
                tier = int(rng.choice(4, p=catalog.REP_TIER_MIX_HIRES))
                join(month_start + int(rng.integers(0, min(month_days, 25))), tier)

    reps = pd.DataFrame(rows)
    reps["team_name"] = [team_names[team] for team in reps["team"]]
    reps["successor"] = _successors(reps, rng)
    international = np.array([regions[r].international for r in reps["region"]])
    names = np.array(chinese_names(rng, len(reps)), dtype=object)
    names[international] = english_names(rng, int(international.sum()))
    reps["name"] = names
    return (reps,)


def _successors(reps: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Pick, for each leaver, the colleague who takes over their open opportunities.

    A teammate still employed a year later is preferred, then anyone in the region, then the
    team's manager (who never leaves).
    """
    successor = np.full(len(reps), -1)
    hire_day = reps["hire_day"].to_numpy()
    end_day = reps["end_day"].to_numpy()
    is_manager = reps["is_manager"].to_numpy()
    team = reps["team"].to_numpy()
    region = reps["region"].to_numpy()
    for leaver in np.flatnonzero(end_day != NULL):
        day = end_day[leaver]
        stays = (hire_day <= day) & ((end_day == NULL) | (end_day > day + 365)) & ~is_manager
        for same in (team == team[leaver], region == region[leaver]):
            candidates = np.flatnonzero(stays & same)
            if candidates.size:
                successor[leaver] = int(rng.choice(candidates))
                break
        else:
            successor[leaver] = int(reps["manager"].iloc[leaver])
    return successor


def owner_at(reps: pd.DataFrame, rep: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Return who owns the book of ``rep`` on ``day``: the rep, or their successor's successor."""
    end_day = reps["end_day"].to_numpy()
    successor = reps["successor"].to_numpy()
    owner = np.asarray(rep).copy()
    for _ in range(20):
        gone = (end_day[owner] != NULL) & (end_day[owner] < day)
        if not gone.any():
            break
        owner[gone] = successor[owner[gone]]
    return owner


def _simulate_partners(world: World) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = world.rng("partners")
    regions = world.regions
    total_weight = sum(region.weight for region in regions)
    first_day = first_day_of_month(world.first_month)
    last_day = first_day_of_month(world.last_month + 1) - 1
    frames = []
    for region_index, region in enumerate(regions):
        n = max(2, round(world.size.partners * region.weight / total_weight))
        # Seven in ten partners were signed before the history starts; the rest join over time.
        early = rng.random(n) < 0.7
        join_day = np.where(
            early,
            rng.integers(day_of(dt.date(2017, 1, 1)), first_day, n),
            rng.integers(first_day, last_day, n),
        )
        frames.append(
            pd.DataFrame(
                {
                    "region": region_index,
                    "tier": rng.choice(3, n, p=catalog.PARTNER_TIER_MIX),
                    "join_day": join_day,
                    "name": company_names(
                        rng,
                        n,
                        region.international,
                        "Pte Ltd" if region.international else "信息技术有限公司",
                    ),
                }
            )
        )
    partners = pd.concat(frames, ignore_index=True)
    partners = partners.sort_values(["join_day", "region"], kind="stable", ignore_index=True)

    # Each January the channel team re-tiers about 15% of partners by one step.
    changes = []
    tier = partners["tier"].to_numpy().copy()
    for year in range(int(world.end_month[:4]) - 4, int(world.end_month[:4]) + 1):
        day = first_day_of_month(month_index(f"{year}-01")) + 14
        if day > last_day or day < first_day:
            continue
        moved = (rng.random(len(partners)) < 0.15) & (partners["join_day"].to_numpy() < day - 180)
        step = np.where(rng.random(len(partners)) < 0.5, -1, 1)
        new_tier = np.clip(tier + step, 0, 2)
        moved &= new_tier != tier
        tier = np.where(moved, new_tier, tier)
        for partner in np.flatnonzero(moved):
            changes.append({"partner": int(partner), "day": day, "tier": int(tier[partner])})
    tier_changes = pd.DataFrame(changes, columns=["partner", "day", "tier"])
    return partners, tier_changes


def partner_tier_at(
    partners: pd.DataFrame, changes: pd.DataFrame, partner: np.ndarray, day: int
) -> np.ndarray:
    """Return the tier code (0-2) of each ``partner`` row on ``day``."""
    tier = partners["tier"].to_numpy()[partner].copy()
    applied = changes[changes["day"] <= day]
    if len(applied):
        latest = applied.groupby("partner")["tier"].last()
        lookup = pd.Series(tier, index=partner)
        common = latest.index.intersection(lookup.index)
        lookup.loc[common] = latest.loc[common].to_numpy()
        tier = lookup.to_numpy()
    return tier
