"""Suite for ``raw.adjustments`` (planning input, optional): manager overrides and locks.

Beyond the contract rules (see ``expectations.rules``), all blocking (people type these):

* ``node_is_node_path``: the node is ``company`` or a node path.
* ``period_format``: ``YYYY`` (fiscal year), ``YYYY-Qn``, ``YYYY-MM`` or ``YYYY-Www``.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.planning_annual_targets import node_path
from expectations.rules import contract_suite, expectation

PERIOD_REGEX = r"^\d{4}(?:-(?:Q[1-4]|0[1-9]|1[0-2]|W(?:0[1-9]|[1-4]\d|5[0-3])))?$"


def build_planning_adjustments_suite() -> gx.ExpectationSuite:
    """Return the ``planning_adjustments_raw`` suite."""
    suite = contract_suite("adjustments")
    suite.add_expectation(node_path("node"))
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnValuesToMatchRegex,
            column="period",
            regex=PERIOD_REGEX,
            rule="period_format",
            description="period is YYYY, YYYY-Qn, YYYY-MM or YYYY-Www.",
            hint="write the period as e.g. 2026, 2026-Q3, 2026-08 or 2026-W32",
        )
    )
    return suite
