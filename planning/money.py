"""Exact splitting of whole amounts: money in minor units, largest-remainder rounding.

Every planned amount is an integer number of minor units (fen for CNY, one customer for count
targets). Splitting ``total`` by weights first gives each part the floor of its exact quota and
then hands the leftover units, one each, to the parts with the largest fractional remainders
(Hamilton's method). The parts are non-negative, sum exactly to ``total`` and each differs from
its exact quota by less than one unit. Ties go to the lower index, so the result never depends
on anything but the inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class ZeroWeightError(ValueError):
    """Every weight is zero, so a positive total has no proportional split."""


def to_minor(amounts: npt.ArrayLike, minor_units: int = 100) -> IntArray:
    """Convert amounts in major units (e.g. CNY with 2 decimals) to integer minor units.

    Rounds half away from zero, which for values read from ``DECIMAL(18, 2)`` columns is exact:
    the float closest to ``x.yz`` times 100 is within 1e-6 of an integer up to about 1e10 CNY.
    """
    values = np.asarray(amounts, dtype=np.float64) * minor_units
    return (np.sign(values) * np.floor(np.abs(values) + 0.5)).astype(np.int64)


def from_minor(amounts: npt.ArrayLike, minor_units: int = 100) -> FloatArray:
    """Convert integer minor units back to major units (floats, for display and writing)."""
    return np.asarray(amounts, dtype=np.float64) / minor_units


def largest_remainder(total: int, weights: Sequence[float] | npt.ArrayLike) -> IntArray:
    """Split a whole ``total`` into integer parts proportional to ``weights``.

    Args:
        total: the whole amount to split, ``>= 0``.
        weights: non-negative, finite weights, at least one positive when ``total > 0``.

    Returns:
        Integer parts that sum exactly to ``total``; a zero weight always gets zero.

    Raises:
        ValueError: when ``total`` is negative or a weight is negative or not finite.
        ZeroWeightError: when ``total > 0`` and every weight is zero.
    """
    total = int(total)
    w = np.asarray(weights, dtype=np.float64)
    if total < 0:
        raise ValueError(f"cannot split a negative total {total}")
    if w.size and (not np.all(np.isfinite(w)) or np.any(w < 0)):
        raise ValueError(f"weights must be finite and non-negative: {w.tolist()}")
    parts = np.zeros(w.shape, dtype=np.int64)
    if total == 0:
        return parts
    weight_sum = float(w.sum())
    if weight_sum <= 0.0:
        raise ZeroWeightError(f"cannot split {total} over {w.size} parts that all weigh zero")
    quotas = (w / weight_sum) * total
    parts = np.floor(quotas).astype(np.int64)
    # Float quotas of very large totals can overshoot by an ulp; never hand out more than total.
    parts = np.minimum(parts, total)
    leftover = total - int(parts.sum())
    if leftover > 0:
        remainders = np.where(w > 0, quotas - parts, -1.0)
        order = np.argsort(-remainders, kind="stable")
        parts[order[:leftover]] += 1
    elif leftover < 0:
        order = np.argsort(quotas - parts, kind="stable")
        order = order[parts[order] > 0]
        parts[order[:-leftover]] -= 1
    return parts


def largest_remainder_rows(totals: npt.ArrayLike, weights: npt.ArrayLike) -> IntArray:
    """Split each of ``totals`` by the same ``weights``: a vectorized :func:`largest_remainder`.

    Args:
        totals: shape ``(n,)`` non-negative integers.
        weights: shape ``(k,)`` non-negative weights with a positive sum.

    Returns:
        Shape ``(n, k)`` integers; row ``i`` sums exactly to ``totals[i]``.
    """
    t = np.asarray(totals, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    if np.any(t < 0):
        raise ValueError("cannot split negative totals")
    weight_sum = float(w.sum())
    if weight_sum <= 0.0:
        if np.any(t > 0):
            raise ZeroWeightError(f"cannot split positive totals over {w.size} zero weights")
        return np.zeros((t.size, w.size), dtype=np.int64)
    quotas = t[:, None].astype(np.float64) * (w[None, :] / weight_sum)
    parts = np.minimum(np.floor(quotas).astype(np.int64), t[:, None])
    leftover = t - parts.sum(axis=1)
    if np.any(leftover < 0):
        # Only reachable through float overshoot on huge totals; fall back to the exact path.
        return np.vstack([largest_remainder(total, w) for total in t])
    remainders = np.where(w[None, :] > 0, quotas - parts, -1.0)
    order = np.argsort(-remainders, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(t.size)[:, None]
    ranks[rows, order] = np.arange(w.size)[None, :]
    parts += (ranks < leftover[:, None]).astype(np.int64)
    return parts


def largest_remainder_columns(totals: npt.ArrayLike, weights: npt.ArrayLike) -> IntArray:
    """Split each column's total by that column's weights: a vectorized :func:`largest_remainder`.

    Args:
        totals: shape ``(k,)`` non-negative integers, one per column.
        weights: shape ``(n, k)`` non-negative weights; every column with a positive total
            needs a positive weight sum.

    Returns:
        Shape ``(n, k)`` integers; column ``j`` sums exactly to ``totals[j]`` and equals
        ``largest_remainder(totals[j], weights[:, j])``.
    """
    t = np.asarray(totals, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    sums = w.sum(axis=0)
    if np.any((sums <= 0) & (t > 0)):
        raise ZeroWeightError("a column with a positive total has only zero weights")
    shares = np.divide(w, sums, out=np.zeros_like(w), where=sums > 0)
    quotas = shares * t[None, :]
    parts = np.minimum(np.floor(quotas).astype(np.int64), t[None, :])
    leftover = t - parts.sum(axis=0)
    if np.any(leftover < 0):
        return np.column_stack([largest_remainder(t[j], w[:, j]) for j in range(t.size)])
    remainders = np.where(w > 0, quotas - parts, -1.0)
    order = np.argsort(-remainders, axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(w.shape[0])[:, None], axis=0)
    parts += (ranks < leftover[None, :]).astype(np.int64)
    return parts


def capped_largest_remainder(total: int, weights: npt.ArrayLike, caps: npt.ArrayLike) -> IntArray:
    """Split ``total`` proportionally to ``weights`` without any part exceeding its cap.

    Water-filling: parts whose proportional quota exceeds their cap are set to the cap and the
    rest is re-split among the others; when every positive-weight part is full, the leftover
    goes to the remaining room in proportion to it.

    Raises:
        ValueError: when the caps together cannot hold ``total``.
    """
    w = np.asarray(weights, dtype=np.float64)
    cap = np.asarray(caps, dtype=np.int64)
    total = int(total)
    room = int(cap.sum())
    if total > room:
        raise ValueError(f"cannot fit {total} into parts whose caps add up to {room}")
    real = np.zeros(w.shape, dtype=np.float64)
    free = (cap > 0) & (w > 0)
    remaining = float(total)
    while remaining > 1e-9 and free.any():
        share = w * free
        quotas = (share / share.sum()) * remaining
        over = free & (real + quotas > cap)
        if not over.any():
            real += quotas
            remaining = 0.0
            break
        remaining -= float((cap[over] - real[over]).sum())
        real[over] = cap[over]
        free &= ~over
    if remaining > 1e-9:
        spare = cap - real
        real += (spare / spare.sum()) * remaining
    # Round the real allocation: floors plus the leftover to the largest remainders, and a part
    # only gets a unit when it still has room (a real quota <= cap never rounds above it).
    parts = np.minimum(np.floor(real + 1e-9).astype(np.int64), cap)
    leftover = total - int(parts.sum())
    if leftover > 0:
        remainders = np.where(parts < cap, real - parts, -np.inf)
        order = np.argsort(-remainders, kind="stable")
        parts[order[:leftover]] += 1
    return parts


def floored_largest_remainder(
    total: int, weights: npt.ArrayLike, floors: npt.ArrayLike
) -> IntArray:
    """Split ``total`` by ``weights`` with every part at least its floor.

    Water-filling: a part whose proportional share would fall below its floor gets exactly its
    floor (a part without weight gets exactly its floor), and the rest is re-split among the
    others, until every part is at or above its floor. Parts without a floor keep their
    proportions, and a floor only takes what it needs. When no part has a weight, what is left
    over goes in proportion to the floors, else evenly.

    Raises:
        ValueError: when the floors add up to more than ``total``.
    """
    w = np.asarray(weights, dtype=np.float64)
    low = np.asarray(floors, dtype=np.int64)
    total = int(total)
    need = int(low.sum())
    if need > total:
        raise ValueError(f"floors add up to {need}, {need - total} more than the total {total}")
    fixed = w <= 0.0
    while True:
        rest = total - int(low[fixed].sum())
        active = np.where(fixed, 0.0, w)
        if active.sum() <= 0.0:
            break
        below = ~fixed & ((active / active.sum()) * rest < low)
        if not below.any():
            break
        fixed |= below
    parts = np.where(fixed, low, 0).astype(np.int64)
    rest = total - int(parts.sum())
    if rest == 0:
        return parts
    active = np.where(fixed, 0.0, w)
    if active.sum() > 0.0:
        return parts + largest_remainder(rest, active)
    spread = low.astype(np.float64) if low.sum() > 0 else np.ones(w.shape)
    return parts + largest_remainder(rest, spread)


class InfeasibleTransportError(ValueError):
    """Row and column totals that no matrix with the allowed cells can meet."""


def transport(
    row_totals: npt.ArrayLike, column_totals: npt.ArrayLike, allowed: npt.ArrayLike
) -> IntArray:
    """An integer matrix with the given row and column totals, zero outside ``allowed``.

    Used when every child of a parent has a fixed total for the year and some children cannot
    take every month (a locked month, a rep who left): each child's total and each month's total
    must both hold exactly. The real-valued solution closest to proportional is found by
    iterative proportional fitting (start: each month's total shared by the children allowed in
    it), then rounded exactly: floors, leftover units to the largest fractional parts, and
    augmenting paths (move a unit along row -> column -> row ...) for units the greedy pass
    cannot place.

    Raises:
        InfeasibleTransportError: when the totals differ or cannot be met within ``allowed``.
    """
    rows = np.asarray(row_totals, dtype=np.int64)
    columns = np.asarray(column_totals, dtype=np.int64)
    mask = np.asarray(allowed, dtype=bool)
    if rows.sum() != columns.sum():
        raise InfeasibleTransportError(
            f"rows add up to {rows.sum()} but columns to {columns.sum()}"
        )
    real = np.where(mask, columns[None, :].astype(np.float64), 0.0)
    for _ in range(2000):
        sums = real.sum(axis=1)
        real *= np.divide(rows, sums, out=np.zeros(len(rows)), where=sums > 0)[:, None]
        sums = real.sum(axis=0)
        real *= np.divide(columns, sums, out=np.zeros(len(columns)), where=sums > 0)[None, :]
        if np.abs(real.sum(axis=1) - rows).max(initial=0.0) < 1e-6:
            break
    result = np.floor(real + 1e-9).astype(np.int64)
    # When the fit has not converged (slow, or no solution) the floors can exceed a total:
    # take units back from the cells with the smallest fractional parts first.
    fraction = real - result
    for axis, totals in ((1, rows), (0, columns)):
        excess = result.sum(axis=axis) - totals
        for line in np.flatnonzero(excess > 0):
            cells = result[line] if axis == 1 else result[:, line]
            order = np.argsort(fraction[line] if axis == 1 else fraction[:, line], kind="stable")
            remove = int(excess[line])
            for cell in order:
                if remove == 0:
                    break
                taken = min(int(cells[cell]), remove)
                cells[cell] -= taken
                remove -= taken
    row_need = rows - result.sum(axis=1)
    column_need = columns - result.sum(axis=0)
    order = np.argsort(-(real - result), axis=None, kind="stable")
    for flat in order:
        r, c = divmod(int(flat), len(columns))
        if mask[r, c] and row_need[r] > 0 and column_need[c] > 0:
            result[r, c] += 1
            row_need[r] -= 1
            column_need[c] -= 1
    if (row_need < 0).any() or (column_need < 0).any():
        raise InfeasibleTransportError("rounding overshot a total")  # not reachable
    while row_need.sum() > 0:
        if not _augment(result, mask, row_need, column_need):
            raise InfeasibleTransportError(
                "the totals cannot be met: some rows can only take cells of columns that are "
                "already full"
            )
    return result


def _augment(result: IntArray, mask: np.ndarray, row_need: IntArray, column_need: IntArray) -> bool:
    """Move one unit along a shortest row -> column (-> row -> column ...) path."""
    n_rows, n_columns = result.shape
    start_rows = [r for r in range(n_rows) if row_need[r] > 0]
    came_from_column: dict[int, int] = {}  # column -> the row that reached it
    came_from_row: dict[int, int] = {}  # row -> the column it was reached from
    frontier = list(start_rows)
    seen_rows = set(start_rows)
    while frontier:
        next_rows = []
        for r in frontier:
            for c in range(n_columns):
                if not mask[r, c] or c in came_from_column:
                    continue
                came_from_column[c] = r
                if column_need[c] > 0:
                    # walk back: +1 on (row, column) edges, -1 on (column, row) edges
                    column = c
                    while True:
                        row = came_from_column[column]
                        result[row, column] += 1
                        if row not in came_from_row:
                            row_need[row] -= 1
                            column_need[c] -= 1
                            return True
                        column = came_from_row[row]
                        result[row, column] -= 1
                for other in range(n_rows):
                    if other not in seen_rows and mask[other, c] and result[other, c] > 0:
                        seen_rows.add(other)
                        came_from_row[other] = c
                        next_rows.append(other)
        frontier = next_rows
    return False
