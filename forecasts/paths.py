"""Sample paths kept as one array per run, with long frames built only on demand.

One run's paths are ``nodes x paths x months`` numbers: 91k rep-level series with 500 paths
and 12 months are 550M values, 4.4 GB as an array. As a long frame (id code, month, path,
value: 28 bytes a row) the same paths took 3.5 times that, plus the temporaries of building
it, on top of the array, while consumers want part of them (the first ``stored_paths`` paths,
or a few nodes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.schemas import ID_COL, TIME_COL


@dataclass(frozen=True, eq=False)
class SamplePaths:
    """The sample paths of every node of one run.

    Attributes:
        ids: Node ids, in the order of the first axis of ``values``.
        months: Month starts (``datetime64[ns]``), in the order of the last axis.
        values: ``(nodes, paths, months)``; path ``p`` of every node is one joint scenario,
            so parents' paths are sums of their children's, path by path.
        id_col: Id column of the long frame.
        time_col: Month column of the long frame.
    """

    ids: np.ndarray
    months: np.ndarray
    values: np.ndarray
    id_col: str = ID_COL
    time_col: str = TIME_COL

    def __post_init__(self) -> None:
        expected = (len(self.ids), len(self.months))
        if self.values.ndim != 3 or (self.values.shape[0], self.values.shape[2]) != expected:
            raise ValueError(
                f"values must be (nodes, paths, months) = ({expected[0]}, n, {expected[1]}), "
                f"got {self.values.shape}"
            )

    @classmethod
    def empty(cls) -> SamplePaths:
        """No nodes (a backtest-only run)."""
        return cls(np.array([], dtype=object), np.array([], "datetime64[ns]"), np.zeros((0, 0, 0)))

    @property
    def n_paths(self) -> int:
        """Paths per node."""
        return self.values.shape[1]

    def renamed(self, id_col: str, time_col: str) -> SamplePaths:
        """The same paths, with other column names for their long frames."""
        return dataclasses.replace(self, id_col=id_col, time_col=time_col)

    def positions(self, nodes: Sequence[str]) -> np.ndarray:
        """Row numbers of ``nodes`` in ``values``.

        Raises:
            KeyError: if a node has no paths.
        """
        index = pd.Index(self.ids)
        found = index.get_indexer(pd.Index(list(nodes)))
        if (found < 0).any():
            missing = [node for node, row in zip(nodes, found, strict=True) if row < 0]
            raise KeyError(f"no sample paths for {missing[:5]} ({len(missing)} nodes)")
        return found

    def frame(
        self, *, nodes: Sequence[str] | None = None, max_paths: int | None = None
    ) -> pd.DataFrame:
        """Return the long frame: one row per node, path and month.

        Args:
            nodes: The nodes to include (default: all); rows keep the order of ``ids``.
            max_paths: Keep the paths numbered below this (default: all).

        Returns:
            ``id_col`` (categorical), ``time_col``, ``path``, ``y``; rows by node, then path,
            then month.

        Raises:
            KeyError: if a node in ``nodes`` has no paths.
        """
        n_paths = self.n_paths if max_paths is None else max(0, min(max_paths, self.n_paths))
        if nodes is None:
            ids, values = self.ids, self.values[:, :n_paths]
        else:
            rows = np.unique(self.positions(nodes))
            ids, values = self.ids[rows], self.values[rows, :n_paths]
        n_nodes, n_months = len(ids), len(self.months)
        # Categorical ids: a frame of many paths has millions of rows, and a string per row
        # would cost more than the values.
        categories = pd.Index(ids).astype(str)
        codes = np.repeat(np.arange(n_nodes, dtype=np.int32), n_paths * n_months)
        return pd.DataFrame(
            {
                self.id_col: pd.Categorical.from_codes(codes, categories=categories),
                self.time_col: np.tile(self.months, n_nodes * n_paths),
                "path": np.tile(np.repeat(np.arange(n_paths), n_months), n_nodes),
                "y": values.reshape(-1),
            }
        )
