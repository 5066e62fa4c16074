"""Suite for ``raw.accounts`` (CRM): one row per customer account.

Only the contract rules apply (see ``expectations.rules``).
"""

from __future__ import annotations

import great_expectations as gx

from expectations.rules import contract_suite


def build_crm_accounts_suite() -> gx.ExpectationSuite:
    """Return the ``crm_accounts_raw`` suite."""
    return contract_suite("accounts")
