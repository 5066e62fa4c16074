"""Great Expectations results -> Dagster asset check results.

A suite's rules are reduced by ``expectations.validation`` to one ``RuleOutcome`` per rule
(blocking or warning); this module folds them into the two checks every ingestion asset
declares: the blocking rules (a blocking check: when it fails nothing downstream runs) and
the warning rules (rows quarantined; a WARN-severity check that never blocks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from expectations.validation import RuleOutcome

BLOCKING_CHECK = "blocking_rules"
WARNING_CHECK = "warning_rules"
# Failing rows listed per rule in check metadata; the rest are counted.
MAX_LISTED_ROWS = 5


def check_specs(asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    """Return the blocking and warning check specs of an asset validated by a GX suite."""
    return [
        dg.AssetCheckSpec(
            BLOCKING_CHECK,
            asset=asset_key,
            blocking=True,
            description="Blocking data-quality rules (GX suite and warehouse checks): when "
            "one fails the load writes nothing and downstream assets do not run.",
        ),
        dg.AssetCheckSpec(
            WARNING_CHECK,
            asset=asset_key,
            description="Warning rules: rows that break them are quarantined in "
            "raw.quarantine with the reason; the rest loads.",
        ),
    ]


def check_results(
    asset_key: dg.AssetKey,
    outcomes: Sequence[RuleOutcome],
    refusal: str | None = None,
) -> list[dg.AssetCheckResult]:
    """Return the blocking and warning check results for ``outcomes``.

    Args:
        asset_key: the asset the checks belong to.
        outcomes: one outcome per rule.
        refusal: the load's error message when it refused to write; the blocking check then
            fails even if no rule outcome says why (e.g. an unreadable file).
    """
    blocking = [o for o in outcomes if o.severity == "blocking" or o.blocks]
    warnings = [o for o in outcomes if o.severity == "warning"]
    failed = [o.rule for o in blocking if o.blocks]
    quarantined = sum(o.failed for o in warnings if not o.blocks)
    blocking_passed = not failed and refusal is None
    return [
        dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=BLOCKING_CHECK,
            passed=blocking_passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=None if blocking_passed else (refusal or f"failed: {', '.join(failed)}"),
            metadata={
                "failed_rules": dg.MetadataValue.json(failed),
                "rules": dg.MetadataValue.md(_table(blocking)),
            },
        ),
        dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=WARNING_CHECK,
            passed=quarantined == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description=None if quarantined == 0 else f"{quarantined:,} row(s) quarantined",
            metadata={
                "quarantined_rows": dg.MetadataValue.int(quarantined),
                "rules": dg.MetadataValue.md(_table(warnings)),
            },
        ),
    ]


def _table(outcomes: Sequence[RuleOutcome]) -> str:
    lines = [
        "| rule | severity | rows evaluated | rows failed | passed | first failures |",
        "| --- | --- | ---: | ---: | --- | --- |",
    ]
    for outcome in outcomes:
        examples = "; ".join(
            f"{f.file} row {f.row}: {f.value!r}" for f in outcome.failures[:MAX_LISTED_ROWS]
        )
        if outcome.error:
            examples = f"error: {outcome.error}"
        elif outcome.observed and not examples:
            examples = f"observed: {outcome.observed}"
        passed = "yes" if not outcome.blocks and not outcome.failed else "no"
        lines.append(
            f"| {outcome.rule} | {outcome.severity} | {outcome.evaluated:,} | "
            f"{outcome.failed:,} | {passed} | {_cell(examples)} |"
        )
    return "\n".join(lines)


def _cell(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 200 else text[:197] + "..."
