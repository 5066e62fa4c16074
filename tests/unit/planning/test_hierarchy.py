import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from planning_settings import examples

from planning.hierarchy import COMPANY, NodePathError, build_tree, format_node, parse_node

HIERARCHY = ("region", "product_line", "channel")


def test_node_paths_round_trip_in_hierarchy_order():
    path = "region=EAST/product_line=CLOUD/channel=direct/rep_id=R0042"
    pairs = parse_node(path, HIERARCHY)
    assert pairs[-1] == ("rep_id", "R0042")
    assert format_node(pairs) == path
    assert parse_node("company", HIERARCHY) == ()
    assert format_node(()) == COMPANY


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("product_line=CLOUD/region=EAST", "must follow the hierarchy order"),
        ("region=EAST/product_line=CLOUD/channel=direct/partner_id=P1", "cannot end at partner_id"),
        ("region=EAST/team=A", "is not dimension=value"),
        ("region=", "is not dimension=value"),
        ("region=EAST/product_line=X/channel=direct/rep_id=R1/partner_id=P1", "only one seller"),
    ],
)
def test_malformed_node_paths_say_what_is_wrong(path, message):
    with pytest.raises(NodePathError, match=message):
        parse_node(path, HIERARCHY)


def small_tree():
    return build_tree(
        HIERARCHY,
        [
            (("EAST", "CLOUD", "direct", "R1"), "rep_id"),
            (("EAST", "CLOUD", "direct", "R2"), "rep_id"),
            (("EAST", "CLOUD", "partner", "P1"), "partner_id"),
            (("SOUTH", "AI", "direct", ""), ""),
        ],
    )


def test_a_tree_lists_parents_before_children_and_leaves_in_order():
    tree = small_tree()
    assert tree.nodes[0] == COMPANY
    assert tree.children[COMPANY] == ["region=EAST", "region=SOUTH"]
    assert tree.children["region=EAST/product_line=CLOUD/channel=direct"] == [
        "region=EAST/product_line=CLOUD/channel=direct/rep_id=R1",
        "region=EAST/product_line=CLOUD/channel=direct/rep_id=R2",
    ]
    assert tree.is_leaf("region=SOUTH/product_line=AI/channel=direct")
    assert tree.level("region=EAST/product_line=CLOUD") == "product_line"
    assert tree.span["region=EAST"] == (0, 3)
    for node in tree.nodes[1:]:
        assert tree.nodes.index(tree.parent[node]) < tree.nodes.index(node)


def test_aggregate_sums_leaves_into_every_node_exactly():
    tree = small_tree()
    values = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], dtype=np.int64)
    totals = dict(zip(tree.nodes, tree.aggregate(values).tolist(), strict=True))
    assert totals[COMPANY] == [16, 20]
    assert totals["region=EAST"] == [9, 12]
    assert totals["region=EAST/product_line=CLOUD/channel=direct"] == [4, 6]


@examples()
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["EAST", "SOUTH", "NORTH"]),
            st.sampled_from(["CLOUD", "AI"]),
            st.sampled_from(["direct", "partner"]),
            st.sampled_from(["A", "B", "C"]),
        ),
        min_size=1,
        max_size=20,
        unique=True,
    ),
)
def test_every_node_sums_its_children_exactly_in_any_tree(keys):
    leaves = [(key, "rep_id" if key[2] == "direct" else "partner_id") for key in keys]
    tree = build_tree(HIERARCHY, leaves)
    values = np.arange(len(tree.leaf_keys) * 3, dtype=np.int64).reshape(-1, 3) * 7919
    totals = dict(zip(tree.nodes, tree.aggregate(values), strict=True))
    for node, children in tree.children.items():
        if children:
            assert (sum(totals[child] for child in children) == totals[node]).all()
    assert (totals[COMPANY] == values.sum(axis=0)).all()
