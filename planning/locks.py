"""Manager adjustments and locks (top-down meets bottom-up), and the exact split of a parent.

An adjustment sets one cell, ``(metric, node, period)``, to a value: the node's target for a
month (``YYYY-MM``) or its full-year target (``YYYY``, actuals included). A *locked* adjustment
is kept exactly in every re-plan and its siblings are re-spread so that totals still hold; an
infeasible set of locks is an error naming the node, the period and the excess. An unlocked
adjustment is a bottom-up proposal: it is kept when it fits, and when the proposals of one parent
and period do not fit next to the locks they are scaled down together in proportion.

Adjustments for months already closed are skipped: a closed month keeps the value it had, which
already honoured the lock while the month was open. Adjustments for other fiscal years belong
to those years' plans and are skipped too.

A node's annual target from ``annual_targets`` (a scope below ``company``) works like an
unlocked full-year proposal: its remaining (target minus its actuals to date, at least zero) is
kept when it fits. The parent's figure is authoritative: when the targets of some children
exceed the parent's remaining they are scaled down together, and when *every* child has one
(e.g. region targets that do not add up to the company target, as finance teams set them) they
are scaled up or down together so that they add up exactly, keeping their proportions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planning.calendar import FiscalCalendar
from planning.hierarchy import NodePathError, format_node, parse_node
from planning.inputs import PlanningInputError, bad_value, require_columns, row_ref, text_or_none
from planning.money import (
    InfeasibleTransportError,
    IntArray,
    capped_largest_remainder,
    floored_largest_remainder,
    largest_remainder,
    largest_remainder_columns,
    to_minor,
    transport,
)
from salesplan.months import format_month, parse_month


class InfeasibleLockError(PlanningInputError):
    """Locks or fixed targets that cannot all hold; the message names node, period and excess."""


@dataclass(frozen=True)
class Adjustment:
    """One manager adjustment of one cell.

    Attributes:
        metric: the target stream.
        node: canonical node path.
        month: the month it sets, or ``None`` for the full fiscal year.
        value: the value in minor units.
        locked: hard lock (``True``) or proposal (``False``).
        where: the row it came from, for messages.
    """

    metric: str
    node: str
    month: dt.date | None
    value: int
    locked: bool
    where: str


def parse_adjustments(
    frame: pd.DataFrame | None,
    *,
    streams: Mapping[str, int],
    hierarchy: Sequence[str],
    calendar: FiscalCalendar,
    fiscal_year: int,
    as_of: dt.date,
) -> list[Adjustment]:
    """Validate the adjustments input and return the ones that apply to this re-plan.

    Args:
        frame: ``metric, node, period, value, locked[, reason, author]`` or ``None``.
        streams: metric -> minor units per major unit of every configured stream.
        hierarchy: the segment dimension order (for node paths).
        calendar: the fiscal calendar.
        fiscal_year: the year being planned.
        as_of: the as-of month; months before it are closed.

    Returns:
        The adjustments of ``fiscal_year`` for open months or the full year, in input order.

    Raises:
        PlanningInputError: for an unknown metric, a malformed node or period, a negative or
            missing value, or two different adjustments of one cell.
    """
    if frame is None or frame.empty:
        return []
    require_columns("adjustments", frame)
    seen: dict[tuple[str, str, str], tuple[int, bool, str]] = {}
    result: list[Adjustment] = []
    for index, row in frame.iterrows():
        where = row_ref("adjustments", frame, index)
        metric = text_or_none(row["metric"]) or "bookings"
        if metric not in streams:
            raise bad_value(
                "adjustments", frame, index, "metric", f"no stream plans it ({', '.join(streams)})"
            )
        try:
            node = format_node(parse_node(str(row["node"]), hierarchy))
        except NodePathError as error:
            raise bad_value("adjustments", frame, index, "node", str(error)) from None
        period = str(row["period"]).strip()
        month, year = _parse_period(frame, index, period, calendar)
        value = row["value"]
        if value is None or pd.isna(value):
            raise bad_value("adjustments", frame, index, "value", "missing value")
        try:
            amount = float(value)
        except (TypeError, ValueError):
            raise bad_value("adjustments", frame, index, "value", "not a number") from None
        if amount < 0:
            raise bad_value("adjustments", frame, index, "value", "targets cannot be negative")
        locked_cell = row["locked"]
        locked = (
            True
            if locked_cell is None or pd.isna(locked_cell)
            else _as_bool(frame, index, locked_cell)
        )
        minor = int(to_minor([amount], streams[metric])[0])
        key = (metric, node, period if month is None else format_month(month))
        if key in seen:
            previous_value, previous_locked, previous_where = seen[key]
            if (previous_value, previous_locked) != (minor, locked):
                raise PlanningInputError(
                    f"{where} and {previous_where}: conflicting adjustments for one cell "
                    f"(metric {metric}, node {node}, period {key[2]}): "
                    f"{amount} (locked={locked}) vs {previous_value / streams[metric]} "
                    f"(locked={previous_locked}); keep one row per cell"
                )
            continue
        seen[key] = (minor, locked, where)
        if year != fiscal_year or (month is not None and month < as_of):
            continue
        result.append(Adjustment(metric, node, month, minor, locked, where))
    return result


def _parse_period(
    frame: pd.DataFrame, index: object, period: str, calendar: FiscalCalendar
) -> tuple[dt.date | None, int]:
    if len(period) == 4 and period.isdigit():
        return None, int(period)
    try:
        month = parse_month(period)
    except ValueError:
        raise bad_value(
            "adjustments",
            frame,
            index,
            "period",
            "adjustments set a month (YYYY-MM) or a fiscal year (YYYY)",
        ) from None
    return month, calendar.fiscal_year(month)


def _as_bool(frame: pd.DataFrame, index: object, value: object) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "t"):
        return True
    if text in ("false", "0", "no", "n", "f"):
        return False
    raise bad_value("adjustments", frame, index, "locked", "must be true or false")


@dataclass(frozen=True)
class CellFix:
    """A fixed value of one child in one open month (a month adjustment)."""

    value: int
    hard: bool
    where: str


@dataclass(frozen=True)
class AnnualFix:
    """A fixed remaining amount of one child over the open months.

    ``remaining`` is the full-year value minus the child's actuals to date; ``hard`` says
    whether an impossible value is an error (a lock) or is clamped (an official target).
    """

    remaining: int
    hard: bool
    where: str


def split_parent(
    parent: str,
    totals: IntArray,
    children: Sequence[str],
    weights: np.ndarray,
    eligible: np.ndarray,
    *,
    lockable: np.ndarray | None = None,
    months: Sequence[dt.date],
    cell_fixes: Mapping[tuple[int, int], CellFix] | None = None,
    annual_fixes: Mapping[int, AnnualFix] | None = None,
    unassigned: int | None = None,
    floors: np.ndarray | None = None,
    money: Callable[[int], str] = str,
) -> IntArray:
    """Split a parent's open-month targets exactly among its children, honouring fixed cells.

    Order: fixed month cells first (hard, then proposals scaled to fit), then children with a
    fixed remaining for the year (spread over their free months in proportion to the room the
    parent has left each month), then every other child by ``weights``, month by month.

    Args:
        parent: the parent's path (for messages).
        totals: the parent's target per open month (minor units).
        children: child paths, in order.
        weights: shape ``(children, months)`` non-negative weights (zero for ineligible cells).
        eligible: shape ``(children, months)``: whether a child may take a new target.
        lockable: shape ``(children, months)``: whether a fixed annual target may place a value
            on a child (a rep outside their home region can be given one; a rep who has left
            cannot). Defaults to ``eligible``.
        months: the open months (for messages).
        cell_fixes: ``(child index, month index) -> CellFix``.
        annual_fixes: ``child index -> AnnualFix``.
        unassigned: index of the ``UNASSIGNED`` child, which takes what no eligible child can.
        floors: shape ``(children, months)``: the least each child must get in a month, because
            cells below it are locked (a locked rep under a segment); a child's share is raised
            to its floor and its siblings share the rest (top-down meets bottom-up).
        money: formats minor units for messages.

    Returns:
        Shape ``(children, months)`` integers; every column sums exactly to ``totals``.

    Raises:
        InfeasibleLockError: naming the node, period and excess when the fixes cannot hold.
    """
    cell_fixes = cell_fixes or {}
    annual_fixes = annual_fixes or {}
    n_children, n_months = len(children), len(totals)
    result = np.zeros((n_children, n_months), dtype=np.int64)
    room = np.asarray(totals, dtype=np.int64).copy()
    fixed_mask = np.zeros((n_children, n_months), dtype=bool)

    # 1. Month cells: hard locks must fit; proposals share what is left.
    for m in range(n_months):
        cells = [(c, fix) for (c, mm), fix in cell_fixes.items() if mm == m]
        if not cells:
            continue
        hard = [(c, fix) for c, fix in cells if fix.hard]
        soft = [(c, fix) for c, fix in cells if not fix.hard]
        hard_total = sum(fix.value for _, fix in hard)
        if hard_total > room[m]:
            names = ", ".join(children[c] for c, _ in hard)
            raise InfeasibleLockError(
                f"{parent}, {format_month(months[m])}: locked children ({names}) add up to "
                f"{money(hard_total)}, {money(hard_total - int(room[m]))} more than the parent's "
                f"target {money(int(room[m]))}"
            )
        for c, fix in hard:
            result[c, m] = fix.value
            fixed_mask[c, m] = True
        room[m] -= hard_total
        if soft:
            values = np.array([fix.value for _, fix in soft], dtype=np.int64)
            share = values if values.sum() <= room[m] else largest_remainder(int(room[m]), values)
            for (c, _), amount in zip(soft, share, strict=True):
                result[c, m] = int(amount)
                fixed_mask[c, m] = True
            room[m] -= int(share.sum())

    # Month floors come from locked cells further down: reserve them for their children.
    floor = (
        np.zeros((n_children, n_months), dtype=np.int64)
        if floors is None
        else np.where(fixed_mask, 0, np.asarray(floors, dtype=np.int64))
    )
    reserved = floor.sum(axis=0)
    over = reserved > room
    if over.any():
        m = int(np.argmax(over))
        raise InfeasibleLockError(
            f"{parent}, {format_month(months[m])}: locks below its children need "
            f"{money(int(reserved[m]))}, {money(int(reserved[m] - room[m]))} more than the "
            f"parent's target {money(int(room[m]))} after its own locks"
        )

    # 2. Children with a fixed remaining for the year.
    annual_children = sorted(annual_fixes)
    allowed = {
        c: ~fixed_mask[c] & (eligible[c] if lockable is None else lockable[c])
        for c in annual_children
    }
    least = {c: int(np.where(allowed[c], floor[c], 0).sum()) for c in annual_children}
    remaining_of: dict[int, int] = {}
    for c in annual_children:
        fix = annual_fixes[c]
        already = int(result[c].sum())
        remaining = fix.remaining - already
        if fix.hard and remaining < least[c]:
            raise InfeasibleLockError(
                f"{children[c]}: its locked full-year value leaves {money(remaining)} for the "
                f"open months after its locked months ({money(already)}), but locks below it "
                f"need {money(least[c])} ({fix.where})"
            )
        remaining_of[c] = max(remaining, 0)
    hard_need = sum(remaining_of[c] for c in annual_children if annual_fixes[c].hard)
    available = int(room.sum())
    if hard_need > available:
        names = ", ".join(children[c] for c in annual_children if annual_fixes[c].hard)
        raise InfeasibleLockError(
            f"{parent}, fiscal year: children with fixed annual targets ({names}) need "
            f"{money(hard_need)} for the rest of the year, {money(hard_need - available)} more "
            f"than the parent's remaining {money(available)}"
        )
    soft_children = [c for c in annual_children if not annual_fixes[c].hard]
    if soft_children:
        # Proposals and official node targets are scaled to fit: down when they exceed the
        # room, and also up when no other child could take the rest (the parent's figure is
        # authoritative, the children's proportions are kept); never below the locks under
        # them.
        needs = [remaining_of[c] for c in soft_children]
        mins = [least[c] for c in soft_children]
        wanted = sum(max(need, low) for need, low in zip(needs, mins, strict=True))
        soft_room = available - hard_need
        has_free_child = len(annual_children) < n_children
        soft_total = min(wanted, soft_room) if has_free_child else soft_room
        if sum(mins) > soft_total:
            raise InfeasibleLockError(
                f"{parent}, fiscal year: locks below children with annual targets need "
                f"{money(sum(mins))}, {money(sum(mins) - soft_total)} more than the "
                f"{money(soft_total)} the parent can give them"
            )
        if soft_total != sum(needs) or any(n < low for n, low in zip(needs, mins, strict=True)):
            proportions = needs if sum(needs) > 0 else [1] * len(needs)
            scaled = floored_largest_remainder(soft_total, proportions, mins)
            for c, amount in zip(soft_children, scaled, strict=True):
                remaining_of[c] = int(amount)
    own_floors = {c: np.where(allowed[c], floor[c], 0) for c in annual_children}
    if annual_children and len(annual_children) == n_children:
        # Every child has a fixed total: children totals and month totals must both hold,
        # so the months are shared out jointly (a child locked in some month takes its share
        # in the others).
        needs = np.array([remaining_of[c] - int(own_floors[c].sum()) for c in annual_children])
        space = room - reserved
        if needs.min(initial=0) >= 0 and int(needs.sum()) == int(space.sum()):
            mask = np.array([allowed[c] for c in annual_children])
            try:
                shared = transport(needs, space, mask)
            except InfeasibleTransportError:
                names = ", ".join(children[c] for c in annual_children)
                raise InfeasibleLockError(
                    f"{parent}, fiscal year: the fixed annual targets of its children ({names}) "
                    f"cannot be placed in the months their locks leave free; change a lock or "
                    f"an annual target"
                ) from None
            for row, c in enumerate(annual_children):
                result[c] += own_floors[c] + shared[row]
                fixed_mask[c] = True
            room[:] = 0
            annual_children = []
    for c in annual_children:
        own = own_floors[c]
        caps = np.where(allowed[c], room - reserved, 0)
        need = remaining_of[c] - int(own.sum())
        if need < 0 or need > int(caps.sum()):
            raise InfeasibleLockError(
                f"{children[c]}: its fixed annual target {money(remaining_of[c])} for the open "
                f"months cannot hold: the months it can take have "
                f"{money(int(caps.sum() + own.sum()))} of room and its locked cells below need "
                f"{money(int(own.sum()))} ({annual_fixes[c].where})"
            )
        part = own + (capped_largest_remainder(need, caps, caps) if need > 0 else 0)
        result[c] += part
        room -= part
        reserved -= floor[c]
        fixed_mask[c] = True

    # 3. Everyone else, month by month, by weight, each at least its floor.
    free_weights = np.where(fixed_mask, 0.0, weights)
    simple = ~(np.where(fixed_mask, 0, floor) > 0).any(axis=0) & (free_weights.sum(axis=0) > 0)
    if simple.any():
        # The common case, vectorized over months: no floors, positive weights.
        columns = np.flatnonzero(simple)
        result[:, columns] += largest_remainder_columns(room[columns], free_weights[:, columns])
    for m in range(n_months):
        if room[m] == 0 or simple[m]:
            continue
        free = ~fixed_mask[:, m]
        w = np.where(free, weights[:, m], 0.0)
        if w.sum() <= 0.0:
            w = np.where(free & eligible[:, m], 1.0, 0.0)
        if w.sum() <= 0.0 and unassigned is not None and free[unassigned]:
            w = np.zeros(n_children)
            w[unassigned] = 1.0
        if w.sum() <= 0.0 and not floor[free, m].any():
            raise InfeasibleLockError(
                f"{parent}, {format_month(months[m])}: every child is locked or fixed, and they "
                f"leave {money(int(room[m]))} of the parent's target unplaced; lock the parent "
                f"to match or unlock a child"
            )
        result[:, m] += floored_largest_remainder(int(room[m]), w, np.where(free, floor[:, m], 0))
    return result


def spread_over_months(
    node: str,
    total: int,
    weights: np.ndarray,
    *,
    months: Sequence[dt.date],
    cell_fixes: Mapping[int, CellFix] | None = None,
    floors: np.ndarray | None = None,
    money: Callable[[int], str] = str,
) -> IntArray:
    """Spread a node's remaining ``total`` over the open months, keeping fixed months.

    Hard-locked months keep their value, proposals share what is left (scaled down together
    when they do not fit), and the other months split the rest by ``weights`` (evenly when the
    weights of the free months are all zero), each month at least its ``floors`` entry (the
    locked cells below the node in that month).

    Raises:
        InfeasibleLockError: when the locked months exceed the total, or every month is fixed
            and the fixes do not add up to it.
    """
    cell_fixes = cell_fixes or {}
    result = np.zeros(len(months), dtype=np.int64)
    hard = {m: fix for m, fix in cell_fixes.items() if fix.hard}
    soft = {m: fix for m, fix in cell_fixes.items() if not fix.hard}
    hard_total = sum(fix.value for fix in hard.values())
    if hard_total > total:
        raise InfeasibleLockError(
            f"{node}: locked months add up to {money(hard_total)}, "
            f"{money(hard_total - total)} more than its remaining target {money(total)}"
        )
    for m, fix in hard.items():
        result[m] = fix.value
    room = total - hard_total
    if soft:
        order = sorted(soft)
        values = np.array([soft[m].value for m in order], dtype=np.int64)
        share = values if values.sum() <= room else largest_remainder(room, values)
        result[order] = share
        room -= int(share.sum())
    if room == 0:
        return result
    free = np.ones(len(months), dtype=bool)
    free[list(cell_fixes)] = False
    if not free.any():
        raise InfeasibleLockError(
            f"{node}: every open month is locked and the locks leave {money(room)} of its "
            f"remaining target {money(total)} unplaced; unlock a month or change a lock"
        )
    w = np.where(free, np.asarray(weights, dtype=np.float64), 0.0)
    if w.sum() <= 0.0:
        w = free.astype(np.float64)
    low = np.zeros(len(months), dtype=np.int64) if floors is None else np.asarray(floors)
    low = np.where(free, low, 0)
    if int(low.sum()) > room:
        where = ", ".join(
            f"{format_month(months[m])}: {money(int(low[m]))}" for m in np.flatnonzero(low)
        )
        raise InfeasibleLockError(
            f"{node}: locks below it need {money(int(low.sum()))} in the open months "
            f"({where}), {money(int(low.sum()) - room)} more than its remaining target "
            f"{money(room)}"
        )
    result += floored_largest_remainder(room, w, low)
    return result
