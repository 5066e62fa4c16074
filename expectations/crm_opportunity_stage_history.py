"""Suite for ``raw.opportunity_stage_history`` (CRM, optional): one row per stage entered.

Only the contract rules apply (see ``expectations.rules``); that every opportunity exists is
the ``opportunity_id_reference`` rule, checked against the warehouse by ``ingestion``.
"""

from __future__ import annotations

import great_expectations as gx

from expectations.rules import contract_suite


def build_crm_opportunity_stage_history_suite() -> gx.ExpectationSuite:
    """Return the ``crm_opportunity_stage_history_raw`` suite."""
    return contract_suite("opportunity_stage_history")
