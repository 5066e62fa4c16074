"""Suite for ``raw.partners`` (CRM): one row per channel partner.

Only the contract rules apply (see ``expectations.rules``).
"""

from __future__ import annotations

import great_expectations as gx

from expectations.rules import contract_suite


def build_crm_partners_suite() -> gx.ExpectationSuite:
    """Return the ``crm_partners_raw`` suite."""
    return contract_suite("partners")
