"""Suite for ``raw.payments`` (ERP): one row per customer payment (回款).

Beyond the contract rules (see ``expectations.rules``):

* ``amount_positive`` (warning): a payment of 0 is a booking artefact, not a collection;
  it is quarantined.
* ``currency_code`` (blocking): three-letter currency codes.

That every payment's invoice exists, possibly extracted in an earlier month, is the
``invoice_id_reference`` rule, checked against the warehouse by ``ingestion``.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.crm_opportunities import currency_code
from expectations.rules import Severity, contract_suite, expectation


def build_erp_payments_suite() -> gx.ExpectationSuite:
    """Return the ``erp_payments_raw`` suite."""
    suite = contract_suite("payments")
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnValuesToBeBetween,
            column="amount",
            min_value=0,
            strict_min=True,
            rule="amount_positive",
            description="amount is more than 0.",
            hint="remove zero payments from the ERP export",
            severity=Severity.WARNING,
        )
    )
    suite.add_expectation(currency_code())
    return suite
