"""Suite for ``raw.reps`` (CRM): one row per sales rep or manager.

Beyond the contract rules (see ``expectations.rules``):

* ``end_not_before_hire`` (blocking): a rep leaves after joining. A rep is master data that
  opportunities, leads and targets point at, so a contradictory rep row stops the load
  rather than being quarantined with every deal that names it.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.rules import contract_suite, expectation


def build_crm_reps_suite() -> gx.ExpectationSuite:
    """Return the ``crm_reps_raw`` suite."""
    suite = contract_suite("reps")
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            column_A="end_date",
            column_B="hire_date",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            rule="end_not_before_hire",
            description="end_date is not before hire_date.",
            hint="fix the rep's hire or end date in the CRM",
        )
    )
    return suite
