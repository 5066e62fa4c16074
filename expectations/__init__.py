"""Great Expectations suites as code: one module per raw entity, each rule with a severity.

``build_<system>_<entity>_suite()`` returns the suite of one raw entity; :func:`suite_for`
returns it by entity name (built once per process). ``expectations.rules`` documents the
rules every entity gets from its contract and how severities work;
``expectations.validation`` runs a suite on an in-memory frame.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import great_expectations as gx

from expectations.crm_accounts import build_crm_accounts_suite
from expectations.crm_activities import build_crm_activities_suite
from expectations.crm_leads import build_crm_leads_suite
from expectations.crm_opportunities import build_crm_opportunities_suite
from expectations.crm_opportunity_stage_history import build_crm_opportunity_stage_history_suite
from expectations.crm_partners import build_crm_partners_suite
from expectations.crm_reps import build_crm_reps_suite
from expectations.erp_fx_rates import build_erp_fx_rates_suite
from expectations.erp_invoices import build_erp_invoices_suite
from expectations.erp_order_lines import build_erp_order_lines_suite
from expectations.erp_payments import build_erp_payments_suite
from expectations.erp_products import build_erp_products_suite
from expectations.planning_adjustments import build_planning_adjustments_suite
from expectations.planning_annual_targets import build_planning_annual_targets_suite
from expectations.planning_regions import build_planning_regions_suite
from expectations.rules import ReferenceRule, Severity, reference_rules
from expectations.validation import FailedRow, RuleOutcome, validate_frame

SUITE_BUILDERS: dict[str, Callable[[], gx.ExpectationSuite]] = {
    "leads": build_crm_leads_suite,
    "opportunities": build_crm_opportunities_suite,
    "opportunity_stage_history": build_crm_opportunity_stage_history_suite,
    "activities": build_crm_activities_suite,
    "reps": build_crm_reps_suite,
    "partners": build_crm_partners_suite,
    "accounts": build_crm_accounts_suite,
    "order_lines": build_erp_order_lines_suite,
    "invoices": build_erp_invoices_suite,
    "payments": build_erp_payments_suite,
    "products": build_erp_products_suite,
    "fx_rates": build_erp_fx_rates_suite,
    "regions": build_planning_regions_suite,
    "annual_targets": build_planning_annual_targets_suite,
    "adjustments": build_planning_adjustments_suite,
}


@cache
def suite_for(entity_name: str) -> gx.ExpectationSuite:
    """Return the suite of raw entity ``entity_name`` (built once per process).

    Raises:
        KeyError: when no suite exists for the entity.
    """
    try:
        return SUITE_BUILDERS[entity_name]()
    except KeyError:
        raise KeyError(f"no expectation suite for entity {entity_name!r}") from None


__all__ = [
    "SUITE_BUILDERS",
    "FailedRow",
    "ReferenceRule",
    "RuleOutcome",
    "Severity",
    "reference_rules",
    "suite_for",
    "validate_frame",
]
