"""Suite for ``raw.products`` (ERP): one row per SKU.

Beyond the contract rules (see ``expectations.rules``):

* ``list_price_positive`` (warning): a SKU with list price 0 is a placeholder; it is
  quarantined (and so are order lines that reference it).
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.rules import Severity, contract_suite, expectation


def build_erp_products_suite() -> gx.ExpectationSuite:
    """Return the ``erp_products_raw`` suite."""
    suite = contract_suite("products")
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnValuesToBeBetween,
            column="list_price",
            min_value=0,
            strict_min=True,
            rule="list_price_positive",
            description="list_price is more than 0.",
            hint="set the SKU's list price in the ERP",
            severity=Severity.WARNING,
        )
    )
    return suite
