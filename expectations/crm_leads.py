"""Suite for ``raw.leads`` (CRM): one row per lead.

Beyond the contract rules (see ``expectations.rules``):

* ``mql_not_before_created`` (warning): a lead cannot become marketing-qualified before it
  was created; such rows have a broken funnel history and are quarantined.
* ``sql_not_before_mql`` (warning): likewise a lead is sales-qualified after it was
  marketing-qualified.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.rules import Severity, contract_suite, expectation


def build_crm_leads_suite() -> gx.ExpectationSuite:
    """Return the ``crm_leads_raw`` suite."""
    suite = contract_suite("leads")
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            column_A="mql_at",
            column_B="created_at",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            rule="mql_not_before_created",
            description="mql_at is not before created_at.",
            hint="fix the lead's funnel timestamps in the CRM",
            severity=Severity.WARNING,
        )
    )
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            column_A="sql_at",
            column_B="mql_at",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            rule="sql_not_before_mql",
            description="sql_at is not before mql_at.",
            hint="fix the lead's funnel timestamps in the CRM",
            severity=Severity.WARNING,
        )
    )
    return suite
