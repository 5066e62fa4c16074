"""Suite for ``raw.order_lines`` (ERP): one row per order line.

Beyond the contract rules (see ``expectations.rules``):

* ``line_no_positive`` (blocking): line numbers start at 1.
* ``quantity_positive`` (warning): a line with quantity 0 books nothing; it is quarantined
  so that it does not count as an order.
* ``partner_deal_has_partner`` (warning): as for opportunities.
* ``currency_code`` (blocking): three-letter currency codes.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.crm_opportunities import currency_code, partner_deal_has_partner
from expectations.rules import Severity, contract_suite, expectation


def build_erp_order_lines_suite() -> gx.ExpectationSuite:
    """Return the ``erp_order_lines_raw`` suite."""
    suite = contract_suite("order_lines")
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnValuesToBeBetween,
            column="line_no",
            min_value=1,
            rule="line_no_positive",
            description="line_no is 1 or more.",
            hint="map line_no to the ERP's order line number",
        )
    )
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnValuesToBeBetween,
            column="quantity",
            min_value=1,
            rule="quantity_positive",
            description="quantity is at least 1.",
            hint="zero-quantity lines are not bookings; remove them from the ERP export",
            severity=Severity.WARNING,
        )
    )
    suite.add_expectation(partner_deal_has_partner())
    suite.add_expectation(currency_code())
    return suite
