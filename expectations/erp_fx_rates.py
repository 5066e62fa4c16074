"""Suite for ``raw.fx_rates`` (ERP): one row per currency and month.

Beyond the contract rules (see ``expectations.rules``):

* ``rate_positive`` (blocking): a rate of 0 would erase every amount converted with it.
* ``currency_code`` (blocking): three-letter currency codes.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.crm_opportunities import currency_code
from expectations.rules import contract_suite, expectation


def build_erp_fx_rates_suite() -> gx.ExpectationSuite:
    """Return the ``erp_fx_rates_raw`` suite."""
    suite = contract_suite("fx_rates")
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnValuesToBeBetween,
            column="rate_to_reporting_currency",
            min_value=0,
            strict_min=True,
            rule="rate_positive",
            description="rate_to_reporting_currency is more than 0.",
            hint="fix the rate in the ERP's currency table",
        )
    )
    suite.add_expectation(currency_code())
    return suite
