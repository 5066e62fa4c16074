"""Suite for ``raw.opportunities`` (CRM): one row per opportunity in its extracted state.

Beyond the contract rules (see ``expectations.rules``):

* ``stage_matches_won``, ``stage_matches_not_won``, ``stage_matches_closed`` and
  ``stage_matches_open`` (warning): the stage and the won/closed flags tell the same story
  (``closed_won`` is won and closed, ``closed_lost`` closed and not won, every other stage
  open). Contradictory rows cannot be counted in the funnel and are quarantined. (Written as
  four set rules on filtered rows rather than one pair rule, which GX evaluates row by row,
  about 30 µs a row.)
* ``partner_deal_has_partner`` (warning): a partner-channel deal names its partner;
  otherwise its bookings cannot be attributed and the row is quarantined.
* ``currency_code`` (blocking): currencies are three-letter ISO codes.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from expectations.rules import Severity, contract_suite, expectation
from salesplan.entities import OPPORTUNITY_STAGES

CLOSED_STAGES = ["closed_won", "closed_lost"]
OPEN_STAGES = [stage for stage in OPPORTUNITY_STAGES if stage not in CLOSED_STAGES]
# rule: (flag, flag value, the stages that agree with it)
STAGE_RULES = {
    "stage_matches_won": ("is_won", True, ["closed_won"]),
    "stage_matches_not_won": ("is_won", False, ["closed_lost", *OPEN_STAGES]),
    "stage_matches_closed": ("is_closed", True, CLOSED_STAGES),
    "stage_matches_open": ("is_closed", False, OPEN_STAGES),
}


def build_crm_opportunities_suite() -> gx.ExpectationSuite:
    """Return the ``crm_opportunities_raw`` suite."""
    suite = contract_suite("opportunities")
    for rule, (flag, value, stages) in STAGE_RULES.items():
        suite.add_expectation(
            expectation(
                gxe.ExpectColumnValuesToBeInSet,
                column="stage",
                value_set=stages,
                row_condition=Column(flag) == value,
                rule=rule,
                description=f"Where {flag} is {str(value).lower()}, stage is one of "
                f"{', '.join(stages)}.",
                hint=f"check the stage and {flag} mappings in the source profile, or fix the "
                "opportunity in the CRM",
                severity=Severity.WARNING,
            )
        )
    suite.add_expectation(partner_deal_has_partner())
    suite.add_expectation(currency_code())
    return suite


def partner_deal_has_partner() -> gxe.ExpectColumnValuesToNotBeNull:
    """Partner-channel rows name their partner (warning); shared with order lines."""
    return expectation(
        gxe.ExpectColumnValuesToNotBeNull,
        column="partner_id",
        row_condition=Column("channel") == "partner",
        rule="partner_deal_has_partner",
        description="Rows of the partner channel have a partner_id.",
        hint="fill the partner in the source system",
        severity=Severity.WARNING,
    )


def currency_code() -> gxe.ExpectColumnValueLengthsToEqual:
    """Currencies are three-letter codes (blocking); shared by every money entity."""
    return expectation(
        gxe.ExpectColumnValueLengthsToEqual,
        column="currency",
        value=3,
        rule="currency_code",
        description="currency is a three-letter ISO 4217 code such as CNY or USD.",
        hint="map the export's currency names to ISO codes under values.currency",
    )
