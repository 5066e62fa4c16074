"""Suite for ``raw.regions`` (planning input): one row per sales region code.

Beyond the contract rules (see ``expectations.rules``):

* ``region_code_format`` (blocking): codes are upper-case letters, digits and ``_``
  (``EAST``, ``INTL``), because they appear in node paths such as ``region=EAST``.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.rules import contract_suite, expectation

REGION_CODE_REGEX = r"^[A-Z][A-Z0-9_]*$"


def build_planning_regions_suite() -> gx.ExpectationSuite:
    """Return the ``planning_regions_raw`` suite."""
    suite = contract_suite("regions")
    suite.add_expectation(
        expectation(
            gxe.ExpectColumnValuesToMatchRegex,
            column="region",
            regex=REGION_CODE_REGEX,
            rule="region_code_format",
            description="region is an upper-case code such as EAST.",
            hint="use upper-case codes and put display names in name_en / name_zh",
        )
    )
    return suite
