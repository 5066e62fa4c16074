"""Coherent hierarchies by bottom-up reconciliation.

Method: only the bottom level (for example region x product_line x channel) is forecast;
every parent (company, region, region x product_line) is the sum of its children, both for
the point forecast and *path by path* for the sample paths. Parent intervals are quantiles
of the summed paths. So forecasts add up exactly at every level, stay non-negative, and the
paths stay coherent too (a probability at the company level sums the same scenarios as the
regions). Bottom-up rather than MinT because the bottom grain is where targets are allocated
and where the backtest chooses models; parents are checked in ``forecast_accuracy`` like any
series.

Values are rounded to ``decimals`` at the bottom and summed, and the sums are rounded again
to remove binary floating-point noise, so parents equal the sum of their children to the
cent in a ``DECIMAL`` column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse

from forecasts.paths import SamplePaths
from forecasts.schemas import COMPANY_ID, COMPANY_LEVEL, ID_COL, TIME_COL, node_path
from forecasts.uncertainty import INTERVAL_LEVELS, path_bounds

BOTTOM_LEVEL = "segment"
# Bottom paths summed at a time by ``aggregate_paths``: its temporaries are a few such blocks.
PATH_BLOCK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Level:
    """A level of the hierarchy: a name and the keys that identify its nodes."""

    name: str
    keys: tuple[str, ...]


def default_levels(hierarchy: Sequence[str], bottom_name: str = BOTTOM_LEVEL) -> list[Level]:
    """Return the company, every prefix of ``hierarchy`` and the bottom level.

    ``("region", "product_line", "channel")`` gives ``company``, ``region``,
    ``region_product_line`` and ``segment``: the nodes of the planning tree.
    """
    hierarchy = tuple(hierarchy)
    levels = [Level(COMPANY_LEVEL, ())]
    levels += [Level("_".join(hierarchy[:n]), hierarchy[:n]) for n in range(1, len(hierarchy))]
    levels.append(Level(bottom_name, hierarchy))
    return levels


def check_levels(levels: Sequence[Level], hierarchy: Sequence[str]) -> None:
    """Raise ``ValueError`` unless every level groups by hierarchy keys and one is the bottom."""
    names = [level.name for level in levels]
    if len(set(names)) != len(names):
        raise ValueError(f"Level names repeat: {names}")
    for level in levels:
        unknown = set(level.keys) - set(hierarchy)
        if unknown:
            raise ValueError(f"Level {level.name!r} uses keys {sorted(unknown)} not in {hierarchy}")
    if not any(set(level.keys) == set(hierarchy) for level in levels):
        raise ValueError(f"No level has all the hierarchy keys {tuple(hierarchy)} (the bottom)")


def hierarchy_nodes(
    bottom: pd.DataFrame, hierarchy: Sequence[str], levels: Sequence[Level]
) -> tuple[pd.DataFrame, scipy.sparse.csr_matrix]:
    """Return every node of every level and the summing matrix.

    Args:
        bottom: One row per bottom series: ``unique_id`` and the hierarchy keys, in the order
            of the bottom arrays.
        hierarchy: The hierarchy keys.
        levels: The levels to build.

    Returns:
        ``(nodes, summing)``: nodes has ``level``, ``unique_id`` and the hierarchy keys
        (``None`` where aggregated), top level first; ``summing[i, j]`` is 1 when bottom
        series ``j`` belongs to node ``i`` (a sparse matrix: each series is in one node per
        level, and a dense one for 91k rep-level series would need 62 GiB). Bottom nodes keep
        their ids.
    """
    check_levels(levels, hierarchy)
    rows, blocks = [], []
    for level in levels:
        if set(level.keys) == set(hierarchy):
            for record in bottom[[ID_COL, *hierarchy]].to_dict("records"):
                rows.append({"level": level.name, **record})
            blocks.append(scipy.sparse.identity(len(bottom), format="csr"))
            continue
        keys = list(level.keys)
        if keys:
            grouped = bottom.groupby(keys, sort=True)
            codes = grouped.ngroup().to_numpy()
            groups = grouped.size().reset_index()[keys]
        else:
            codes = np.zeros(len(bottom), dtype=int)
            groups = pd.DataFrame(index=[0])
        block = scipy.sparse.csr_matrix(
            (np.ones(len(bottom)), (codes, np.arange(len(bottom)))),
            shape=(len(groups), len(bottom)),
        )
        for _, group in groups.iterrows():
            values = [group[key] for key in keys]
            row = {"level": level.name, ID_COL: node_path(keys, values) if keys else COMPANY_ID}
            row |= {key: (group[key] if key in keys else None) for key in hierarchy}
            rows.append(row)
        blocks.append(block)
    nodes = pd.DataFrame(rows, columns=["level", ID_COL, *hierarchy])
    summing = (
        scipy.sparse.vstack(blocks, format="csr")
        if blocks
        else scipy.sparse.csr_matrix((0, len(bottom)))
    )
    return nodes, summing


def aggregate(
    summing: np.ndarray | scipy.sparse.sparray | scipy.sparse.spmatrix,
    bottom: np.ndarray,
    decimals: int | None = 2,
) -> np.ndarray:
    """Sum bottom values into every node: ``summing @ bottom`` along the first axis.

    A node with an unknown (NaN) child is unknown.
    """
    values = np.round(bottom, decimals) if decimals is not None else bottom
    flat = values.reshape(values.shape[0], -1)
    # Each bottom series belongs to one node per level: a sparse product is ~levels x cheaper.
    sparse = scipy.sparse.csr_matrix(summing)
    totals = np.asarray(sparse @ np.nan_to_num(flat)).reshape((summing.shape[0], *values.shape[1:]))
    missing = np.isnan(flat)
    if missing.any():
        unknown = np.asarray(sparse @ missing.astype(float)).reshape(totals.shape) > 0
        totals[unknown] = np.nan
    return np.round(totals, decimals) if decimals is not None else totals


def aggregate_paths(
    summing: np.ndarray | scipy.sparse.sparray | scipy.sparse.spmatrix,
    bottom: np.ndarray,
    out: np.ndarray,
    decimals: int | None = 2,
) -> np.ndarray:
    """``aggregate`` for sample paths ``(series, paths, months)``, without full-size copies.

    ``aggregate`` of a whole paths array holds four temporary copies of it (rounded, without
    NaN, the product, rounded again): 4.4 GB each for 91k series x 500 paths x 12 months. Here
    ``bottom`` is rounded in place and summed into ``out`` a block of paths at a time. When
    ``bottom`` is the last rows of ``out`` and the last rows of ``summing`` are the identity
    (the bottom level last, as ``hierarchy_nodes`` builds it), those rows already hold their
    values and only the parents are summed: the paths then exist once. (Otherwise too
    ``bottom`` may be a view of ``out``: each block is summed before it is written.) The
    values are ``aggregate(summing, bottom, decimals)``'s, bit for bit.

    Args:
        summing: The summing matrix, nodes x series.
        bottom: Bottom paths ``(series, paths, months)``; rounded in place.
        out: Every node's paths ``(nodes, paths, months)``, filled here.
        decimals: Rounding of bottom values and of the sums (``None``: no rounding).

    Returns:
        ``out``.
    """
    sparse = scipy.sparse.csr_matrix(summing)
    n_nodes, n_bottom = sparse.shape
    _, n_paths, n_months = bottom.shape
    if decimals is not None:
        np.round(bottom, decimals, out=bottom)
        bottom += 0.0  # -0.0 becomes 0.0, as in aggregate's sums
    n_summed = n_nodes
    if _is_tail(bottom, out) and _identity_tail(sparse, n_bottom):
        n_summed = n_nodes - n_bottom
    if n_summed == 0:
        return out
    summed = sparse[:n_summed]
    step = max(1, PATH_BLOCK_BYTES // max(1, bottom.itemsize * n_bottom * n_months))
    for start in range(0, n_paths, step):
        block = slice(start, start + step)
        totals = aggregate(summed, bottom[:, block], None)
        out[:n_summed, block] = np.round(totals, decimals) if decimals is not None else totals
    return out


def _is_tail(bottom: np.ndarray, out: np.ndarray) -> bool:
    """Whether ``bottom`` is the array of the last rows of ``out`` (a view of them)."""
    tail = out[len(out) - len(bottom) :]
    return (
        bottom.shape == tail.shape
        and bottom.strides == tail.strides
        and bottom.__array_interface__["data"][0] == tail.__array_interface__["data"][0]
    )


def _identity_tail(sparse: scipy.sparse.csr_matrix, n_bottom: int) -> bool:
    """Whether the last ``n_bottom`` rows of ``sparse`` are the identity."""
    tail = sparse[sparse.shape[0] - n_bottom :]
    return bool(
        np.array_equal(np.diff(tail.indptr), np.ones(n_bottom, dtype=tail.indptr.dtype))
        and np.array_equal(tail.indices, np.arange(n_bottom))
        and (tail.data == 1).all()
    )


def reconcile(
    forecasts: pd.DataFrame,
    paths: pd.DataFrame,
    hierarchy: Sequence[str],
    levels: Sequence[Level] | None = None,
    *,
    decimals: int | None = 2,
    id_col: str = ID_COL,
    time_col: str = TIME_COL,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum bottom-level forecasts and paths up a hierarchy (bottom-up reconciliation).

    Args:
        forecasts: Bottom forecasts: ``unique_id``, the hierarchy keys, ``ds``, ``yhat``.
        paths: Bottom sample paths: ``unique_id``, ``ds``, ``path``, ``y``; every series has
            the same months and path numbers.
        hierarchy: The hierarchy keys, top-down.
        levels: Levels to produce (default ``default_levels(hierarchy)``).
        decimals: Rounding of bottom values before summing (``None``: no rounding).
        id_col: Series id column.
        time_col: Month column.

    Returns:
        ``(forecasts, paths)`` for every node of every level: forecasts with ``level``, the
        keys (``None`` where aggregated), ``unique_id``, ``ds``, ``yhat`` and the 80%/95%
        path-quantile bounds; paths with ``unique_id``, ``ds``, ``path``, ``y``.
    """
    levels = list(levels) if levels is not None else default_levels(hierarchy)
    bottom = (
        forecasts[[id_col, *hierarchy]].drop_duplicates().sort_values(id_col).reset_index(drop=True)
    )
    bottom = bottom.rename(columns={id_col: ID_COL})
    months = np.sort(forecasts[time_col].unique())
    point = forecasts.pivot(index=id_col, columns=time_col, values="yhat")
    point = point.reindex(index=bottom[ID_COL], columns=months).to_numpy(dtype=np.float64)
    numbers = np.sort(paths["path"].unique())
    cube = paths.set_index([id_col, "path", time_col])["y"].unstack(time_col)
    full_index = pd.MultiIndex.from_product([bottom[ID_COL], numbers])
    cube = cube.reindex(index=full_index, columns=months)
    if cube.isna().to_numpy().any():
        raise ValueError("paths must hold every series, path number and forecast month")
    path_array = cube.to_numpy(dtype=np.float64).reshape(len(bottom), len(numbers), len(months))

    nodes, summing = hierarchy_nodes(bottom, hierarchy, levels)
    node_point = aggregate(summing, point, decimals)
    node_paths = aggregate(summing, path_array, decimals)
    frame = forecast_frame(nodes, months, node_point, node_paths, hierarchy)
    path_frame = SamplePaths(nodes[ID_COL].to_numpy(), months, node_paths).frame()
    path_frame["path"] = numbers[path_frame["path"].to_numpy()]
    return frame.rename(columns={ID_COL: id_col, TIME_COL: time_col}), path_frame.rename(
        columns={ID_COL: id_col, TIME_COL: time_col}
    )


def forecast_frame(
    nodes: pd.DataFrame,
    months: np.ndarray,
    point: np.ndarray,
    paths: np.ndarray,
    hierarchy: Sequence[str],
    decimals: int | None = 2,
) -> pd.DataFrame:
    """Return the long forecast frame of nodes x months with path-quantile intervals."""
    n_nodes, n_months = point.shape
    frame = nodes.loc[nodes.index.repeat(n_months), ["level", *hierarchy, ID_COL]].reset_index(
        drop=True
    )
    frame[TIME_COL] = np.tile(months, n_nodes)
    frame["horizon"] = np.tile(np.arange(1, n_months + 1), n_nodes)
    frame["yhat"] = point.reshape(-1)
    for level, (lower, upper) in path_bounds(paths, INTERVAL_LEVELS).items():
        lower, upper = np.minimum(lower, point), np.maximum(upper, point)
        if decimals is not None:
            lower, upper = np.round(lower, decimals), np.round(upper, decimals)
        frame[f"yhat_lower_{level}"] = lower.reshape(-1)
        frame[f"yhat_upper_{level}"] = upper.reshape(-1)
    return frame
