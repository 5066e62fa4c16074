"""Suite for ``raw.invoices`` (ERP): one row per invoice.

Beyond the contract rules (see ``expectations.rules``):

* ``due_not_before_invoice`` (warning): an invoice falls due on or after its date; a row
  where it does not would distort collection lags and is quarantined.
* ``currency_code`` (blocking): three-letter currency codes.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.crm_opportunities import currency_code
from expectations.rules import Severity, contract_suite, expectation


def build_erp_invoices_suite() -> gx.ExpectationSuite:
    """Return the ``erp_invoices_raw`` suite."""
    suite = contract_suite("invoices")
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            column_A="due_date",
            column_B="invoice_date",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            rule="due_not_before_invoice",
            description="due_date is not before invoice_date.",
            hint="fix the invoice's dates in the ERP",
            severity=Severity.WARNING,
        )
    )
    suite.add_expectation(currency_code())
    return suite
