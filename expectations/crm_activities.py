"""Suite for ``raw.activities`` (CRM): one row per sales activity.

Beyond the contract rules (see ``expectations.rules``):

* ``activity_id_not_blank`` (blocking): activity ids are not whitespace (an export that
  lost its id column often fills it with blanks).
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.rules import contract_suite, expectation


def build_crm_activities_suite() -> gx.ExpectationSuite:
    """Return the ``crm_activities_raw`` suite."""
    suite = contract_suite("activities")
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnValueLengthsToBeBetween,
            column="activity_id",
            min_value=1,
            rule="activity_id_not_blank",
            description="activity_id is not empty.",
            hint="map activity_id to the export's activity id column",
        )
    )
    return suite
