"""Validate in-memory frames with a suite, and turn GX results into per-rule outcomes.

Frames go through the GX pandas path: ``add_pandas`` -> ``add_dataframe_asset`` ->
``add_batch_definition_whole_dataframe`` -> ``get_batch(batch_parameters={"dataframe": df})``,
on the process's one ephemeral context (``expectations.context``).

Results are reduced to :class:`RuleOutcome` objects: how many rows a rule evaluated and
failed, and the failing rows (file, row, column, value) read from ``_source_file`` and
``_source_row`` via GX's ``unexpected_index_column_names``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.core.expectation_validation_result import (
    ExpectationValidationResult,
)

from expectations.context import frame_validator
from expectations.rules import (
    DEFAULT_MIN_CLEAN_SHARE,
    EXTRACT_END_COLUMN,
    MIN_CLEAN_SHARE,
    Severity,
    severity_of,
)

_INDEX_COLUMNS = ["_source_file", "_source_row"]
_HIDDEN_COLUMNS = {*_INDEX_COLUMNS, EXTRACT_END_COLUMN, "_extract_month"}


@dataclass(frozen=True)
class FailedRow:
    """A row that failed a rule: where it is and the value(s) that failed."""

    file: str
    row: int
    column: str | None
    value: object


@dataclass
class RuleOutcome:
    """What one rule found in the rows validated so far.

    Attributes:
        rule: stable rule name (``amount_non_negative``).
        severity: blocking or warning.
        description: what the rule demands.
        hint: what to do when it fails.
        expectation: the GX expectation type, or ``sql`` for warehouse checks.
        column: the column the rule is about, if any.
        evaluated: rows evaluated.
        failed: rows that failed (for table-level rules, 1 when the rule failed).
        success: the rule passed; a warning rule fails only beyond its tolerance.
        error: set when the rule could not be evaluated.
        observed: what a table- or column-level rule observed (e.g. the column's type).
        failures: the failing rows (all of them for warning rules, which quarantine them).
    """

    rule: str
    severity: Severity
    description: str
    hint: str
    expectation: str
    column: str | None = None
    evaluated: int = 0
    failed: int = 0
    success: bool = True
    error: str | None = None
    observed: str | None = None
    failures: list[FailedRow] = field(default_factory=list)

    @property
    def blocks(self) -> bool:
        """The load must not write: a blocking rule failed or a warning rule overflowed."""
        return (
            not self.success
            or self.error is not None
            or (self.severity is Severity.BLOCKING and self.failed > 0)
        )

    def absorb(self, other: RuleOutcome) -> None:
        """Add the outcome of the same rule on further rows."""
        self.evaluated += other.evaluated
        self.failed += other.failed
        self.success = self.success and other.success
        self.error = self.error or other.error
        self.observed = self.observed if self.observed is not None else other.observed
        self.failures.extend(other.failures)


def context_setup_seconds() -> float:
    """Seconds it took to create this process's GX context (creating it if needed)."""
    return frame_validator().setup_seconds


def validate_frame(
    suite: gx.ExpectationSuite,
    frame: pd.DataFrame,
    *,
    min_clean_share: float = DEFAULT_MIN_CLEAN_SHARE,
    parameters: Mapping[str, Any] | None = None,
) -> list[RuleOutcome]:
    """Validate ``frame`` (canonical + lineage columns) with ``suite``; one outcome per rule.

    Args:
        suite: a suite from ``expectations`` (its expectations carry ``meta.rule``).
        frame: typed rows with ``_extract_month``, ``_source_file`` and ``_source_row``.
        min_clean_share: share of rows that must pass each warning rule.
        parameters: further runtime parameters of the suite.
    """
    if frame.empty:
        return [_outcome(rule.configuration, evaluated=0) for rule in suite.expectations]
    months = frame["_extract_month"]
    ends = {month: month + pd.offsets.MonthBegin(1) for month in months.unique()}
    # One consolidated copy: GX copies the frame per rule, and copying a frame whose blocks
    # are not consolidated merges them every time (about 40% of the validation time).
    validated = frame.assign(
        **{EXTRACT_END_COLUMN: months.map(ends).astype("datetime64[ns]")}
    ).copy()
    batch = frame_validator().batch_definition.get_batch(batch_parameters={"dataframe": validated})
    result = batch.validate(
        suite,
        expectation_parameters={MIN_CLEAN_SHARE: min_clean_share, **(parameters or {})},
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": _INDEX_COLUMNS,
            "partial_unexpected_count": 0,
        },
    )
    return [_from_result(item, len(frame)) for item in result.results]


def _outcome(config: Any, evaluated: int) -> RuleOutcome:
    meta = config.meta or {}
    kwargs = config.kwargs
    column = kwargs.get("column") or kwargs.get("column_B")
    if column is None and kwargs.get("column_list"):
        column = ", ".join(c for c in kwargs["column_list"] if c not in _HIDDEN_COLUMNS)
    return RuleOutcome(
        rule=meta.get("rule", config.type),
        severity=severity_of(config.severity),
        description=config.description or config.type,
        hint=meta.get("hint", ""),
        expectation=config.type,
        column=column,
        evaluated=evaluated,
    )


def _from_result(item: ExpectationValidationResult, rows: int) -> RuleOutcome:
    config = item.expectation_config
    outcome = _outcome(config, evaluated=rows)
    info = item.exception_info or {}
    if info.get("raised_exception"):
        outcome.success = False
        outcome.error = str(info.get("exception_message"))
        return outcome
    outcome.success = bool(item.success)
    details = item.result or {}
    index_list = details.get("unexpected_index_list") or []
    if "unexpected_count" in details:
        outcome.failed = int(details["unexpected_count"] or 0)
    elif not item.success:
        outcome.failed = 1
        observed = details.get("observed_value")
        mismatch = (details.get("details") or {}).get("mismatched")
        outcome.observed = str(mismatch or observed)
    for entry in index_list:
        if not isinstance(entry, dict):
            continue
        values = {k: v for k, v in entry.items() if k not in _HIDDEN_COLUMNS}
        value = next(iter(values.values())) if len(values) == 1 else values
        outcome.failures.append(
            FailedRow(str(entry["_source_file"]), int(entry["_source_row"]), outcome.column, value)
        )
    return outcome
