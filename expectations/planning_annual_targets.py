"""Suite for ``raw.annual_targets`` (planning input): one row per year, metric and scope.

Beyond the contract rules (see ``expectations.rules``), all blocking, because a planning
input is typed by people and a wrong target must be fixed rather than dropped:

* ``fiscal_year_plausible``: 2000 <= fiscal_year <= 2100.
* ``floor_at_most_target``: floor_pct <= 1 (the floor is the must-make share of the target).
* ``stretch_at_least_target``: stretch_pct >= 1.
* ``scope_is_node_path``: ``company`` or a node path such as ``region=EAST/product_line=AI``
  (docs/architecture.md, "Node paths").
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.rules import contract_suite, expectation

_DIMENSION = r"(?:region|product_line|channel|rep_id|partner_id)=[^/=]+"
NODE_PATH_REGEX = rf"^(?:company|{_DIMENSION}(?:/{_DIMENSION})*)$"


def build_planning_annual_targets_suite() -> gx.ExpectationSuite:
    """Return the ``planning_annual_targets_raw`` suite."""
    suite = contract_suite("annual_targets")
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnValuesToBeBetween,
            column="fiscal_year",
            min_value=2000,
            max_value=2100,
            rule="fiscal_year_plausible",
            description="fiscal_year is a year between 2000 and 2100.",
            hint="write the fiscal year as four digits (named by the year it ends in)",
        )
    )
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnValuesToBeBetween,
            column="floor_pct",
            max_value=1,
            rule="floor_at_most_target",
            description="floor_pct is at most 1 (100% of the target).",
            hint="write the floor as a share of the target, e.g. 0.9",
        )
    )
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnValuesToBeBetween,
            column="stretch_pct",
            min_value=1,
            rule="stretch_at_least_target",
            description="stretch_pct is at least 1 (100% of the target).",
            hint="write the stretch as a share of the target, e.g. 1.15",
        )
    )
    suite.add_expectation(node_path("scope"))
    return suite


def node_path(column: str) -> gxe.ExpectColumnValuesToMatchRegex:
    """``column`` holds ``company`` or a node path (blocking); shared with adjustments."""
    return expectation(
        gxe.ExpectColumnValuesToMatchRegex,
        column=column,
        regex=NODE_PATH_REGEX,
        rule=f"{column}_is_node_path",
        description=f"{column} is 'company' or a node path like region=EAST/product_line=AI.",
        hint="write dimension=value pairs joined by '/' in hierarchy order",
    )
