"""The planning hierarchy: node paths and the tree of one target stream.

A node is written ``company`` or as ``dimension=value`` pairs joined by ``/`` in hierarchy order
(docs/architecture.md "Node paths"), for example ``region=EAST/product_line=CLOUD/channel=direct/
rep_id=R0042``. The dimensions below company are the configured order of ``region``,
``product_line`` and ``channel``; a channel's branch may then end at a seller: reps for the
direct channel, partners for the partner channel.

How reps relate to partner deals: a partner deal belongs to the partner branch and counts for
the partner, never for the rep who owns the opportunity (the channel manager), so a booking is
counted exactly once. Direct bookings without a rep (orders with no linked opportunity) and
partner bookings without a partner count for the ``UNASSIGNED`` seller of their segment, which
also receives the target of any month in which the segment has no active seller, so targets and
actuals always have a leaf to live on.

Leaves are kept sorted by their key tuple, so the leaves below any node form one contiguous
range; aggregating to every node is then a difference of cumulative sums.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from planning.config import SEGMENT_DIMENSIONS, SELLER_DIMENSIONS

COMPANY = "company"
UNASSIGNED = "UNASSIGNED"
DIMENSIONS = (*SEGMENT_DIMENSIONS, *SELLER_DIMENSIONS)

# A leaf key: the segment values in hierarchy order, then the seller value ("" for no seller).
LeafKey = tuple[str, ...]


class NodePathError(ValueError):
    """A node path that is malformed or does not follow the hierarchy."""


def format_node(pairs: Sequence[tuple[str, str]]) -> str:
    """Return the path of the node given by ``(dimension, value)`` pairs (``company`` if none)."""
    if not pairs:
        return COMPANY
    return "/".join(f"{dimension}={value}" for dimension, value in pairs)


def parse_node(path: str, hierarchy: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Parse and check a node path against the hierarchy order.

    Raises:
        NodePathError: naming the path and what is wrong with it.
    """
    text = str(path).strip()
    if text == COMPANY:
        return ()
    pairs: list[tuple[str, str]] = []
    for part in text.split("/"):
        dimension, sep, value = part.partition("=")
        if not sep or not value or dimension not in DIMENSIONS:
            raise NodePathError(
                f"node {path!r}: {part!r} is not dimension=value with a dimension among "
                f"{', '.join(DIMENSIONS)}"
            )
        pairs.append((dimension, value))
    dimensions = [dimension for dimension, _ in pairs]
    segment = dimensions[: len(hierarchy)]
    if segment != list(hierarchy[: len(segment)]):
        raise NodePathError(
            f"node {path!r}: dimensions must follow the hierarchy order "
            f"{'/'.join(hierarchy)}, got {'/'.join(dimensions)}"
        )
    rest = dimensions[len(hierarchy) :]
    if rest:
        if len(rest) > 1 or rest[0] not in SELLER_DIMENSIONS:
            raise NodePathError(f"node {path!r}: only one seller (rep_id or partner_id) may follow")
        channel = dict(pairs).get("channel")
        expected = {"direct": "rep_id", "partner": "partner_id"}.get(channel or "")
        if rest[0] != expected:
            raise NodePathError(f"node {path!r}: a {channel} branch cannot end at {rest[0]}")
    return tuple(pairs)


@dataclass
class Tree:
    """The nodes of one stream, built from its sorted leaves.

    Attributes:
        hierarchy: the segment dimensions in order.
        leaf_keys: sorted leaf keys (segment values then seller value, ``""`` for none).
        leaf_seller_dimension: per leaf, ``rep_id``/``partner_id`` or ``""``.
        nodes: every node path, parents before children (depth-first, sorted).
        depth: node -> depth (company 0).
        span: node -> (first leaf index, end leaf index) of its leaves.
        children: node -> child paths in order.
        parent: node -> parent path.
        pairs: node -> its (dimension, value) pairs.
    """

    hierarchy: tuple[str, ...]
    leaf_keys: list[LeafKey]
    leaf_seller_dimension: list[str]
    nodes: list[str] = field(default_factory=list)
    depth: dict[str, int] = field(default_factory=dict)
    span: dict[str, tuple[int, int]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)
    pairs: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    @property
    def leaves(self) -> list[str]:
        """Leaf paths in leaf order."""
        return [self.leaf_path(index) for index in range(len(self.leaf_keys))]

    def leaf_path(self, index: int) -> str:
        """Return the path of leaf ``index``."""
        return format_node(self.leaf_pairs(index))

    def leaf_pairs(self, index: int) -> tuple[tuple[str, str], ...]:
        """Return the (dimension, value) pairs of leaf ``index``."""
        key = self.leaf_keys[index]
        pairs = list(zip(self.hierarchy, key[: len(self.hierarchy)], strict=True))
        if self.leaf_seller_dimension[index]:
            pairs.append((self.leaf_seller_dimension[index], key[-1]))
        return tuple(pairs)

    def is_leaf(self, node: str) -> bool:
        """Return whether ``node`` has no children."""
        return not self.children[node]

    def level(self, node: str) -> str:
        """Return the dimension of the node's last pair, or ``company``."""
        pairs = self.pairs[node]
        return pairs[-1][0] if pairs else COMPANY

    def node_values(self, node: str) -> dict[str, str]:
        """Return the node's keys as a mapping dimension -> value."""
        return dict(self.pairs[node])

    def ancestor_matrix_spans(
        self,
    ) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Return nodes with their leaf spans as arrays ``(nodes, starts, ends)``."""
        starts = np.array([self.span[node][0] for node in self.nodes], dtype=np.int64)
        ends = np.array([self.span[node][1] for node in self.nodes], dtype=np.int64)
        return self.nodes, starts, ends

    def aggregate(self, leaf_values: npt.NDArray) -> npt.NDArray:
        """Sum leaf rows (axis 0) up to every node, in ``nodes`` order.

        Integers stay integers and sums are exact.
        """
        values = np.asarray(leaf_values)
        zeros = np.zeros((1, *values.shape[1:]), dtype=values.dtype)
        cumulative = np.concatenate([zeros, np.cumsum(values, axis=0)], axis=0)
        _, starts, ends = self.ancestor_matrix_spans()
        return cumulative[ends] - cumulative[starts]


def build_tree(hierarchy: Sequence[str], leaves: Iterable[tuple[LeafKey, str]]) -> Tree:
    """Build the tree of a stream from its leaves.

    Args:
        hierarchy: the segment dimensions in order.
        leaves: ``(key, seller_dimension)`` pairs: ``key`` holds one value per hierarchy
            dimension plus the seller value (``""`` when the branch ends at the segment).

    Returns:
        The tree with every ancestor of every leaf; duplicates are merged.
    """
    hierarchy = tuple(hierarchy)
    unique: dict[LeafKey, str] = {}
    for key, seller in leaves:
        if len(key) != len(hierarchy) + 1:
            raise ValueError(f"leaf key {key} must have {len(hierarchy) + 1} values")
        previous = unique.setdefault(tuple(key), seller)
        if previous != seller:
            raise ValueError(f"leaf {key} is both a {previous} and a {seller} leaf")
    keys = sorted(unique)
    tree = Tree(
        hierarchy=hierarchy, leaf_keys=keys, leaf_seller_dimension=[unique[k] for k in keys]
    )
    tree.nodes.append(COMPANY)
    tree.depth[COMPANY] = 0
    tree.pairs[COMPANY] = ()
    tree.children[COMPANY] = []
    tree.span[COMPANY] = (0, len(keys))
    for index, key in enumerate(keys):
        seller_dimension = unique[key]
        depth_limit = len(hierarchy) + (1 if seller_dimension else 0)
        parent = COMPANY
        for depth in range(1, depth_limit + 1):
            if depth <= len(hierarchy):
                pairs = tuple(zip(hierarchy[:depth], key[:depth], strict=True))
            else:
                pairs = (
                    *tuple(zip(hierarchy, key[: len(hierarchy)], strict=True)),
                    (seller_dimension, key[-1]),
                )
            path = format_node(pairs)
            if path not in tree.span:
                tree.nodes.append(path)
                tree.depth[path] = depth
                tree.pairs[path] = pairs
                tree.children[path] = []
                tree.parent[path] = parent
                tree.children[parent].append(path)
                tree.span[path] = (index, index + 1)
            else:
                start, _ = tree.span[path]
                tree.span[path] = (start, index + 1)
            parent = path
    return tree
