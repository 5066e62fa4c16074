"""The rules every raw entity gets from its contract, and how a rule is written down.

Every expectation carries:

* ``severity``: GX ``critical`` = **blocking** (the load refuses to write; nothing downstream
  runs) or GX ``warning`` = **warning** (the failing rows go to ``raw.quarantine`` with the
  reason and the rest loads). A warning rule still blocks when fewer than
  ``min_clean_share`` of the rows pass it (runtime parameter, default 0.5): that many bad rows
  are a systematic problem, such as a wrong mapping, not a few bad records.
* ``meta.rule``: a stable rule name (``amount_non_negative``), used in messages, quarantine
  rows and Dagster check metadata; ``meta.hint``: what the user should do when it fails.
* ``description``: one sentence saying what the rule demands.

Rules derived from ``salesplan.entities`` (all blocking):

=============================  ============================================================
rule                           demands
=============================  ============================================================
``columns``                    every canonical and lineage column is present
``<column>_type``              values have the column's logical type
``<column>_not_null``          required columns have a value in every row
``key_unique``                 the key is unique within an extract month
``<column>_allowed``           categorical values are in their allowed set
``<column>_non_negative``      amounts, quantities and prices are >= 0
``<column>_not_after_extract`` event dates fall no later than the end of the extract month
=============================  ============================================================

Referential integrity (``<column>_reference``) needs the warehouse, so ``ingestion`` checks
it with SQL against what is already loaded plus the batch; :func:`reference_rules` lists the
rules and their severity here, next to the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.metadata_types import FailureSeverity

from expectations.context import frame_validator
from salesplan.entities import Column, Entity, entity

# Lineage columns every raw frame carries (see docs/architecture.md, "Raw layer").
LINEAGE_COLUMNS = ("_extract_month", "_source_file", "_source_row")
# Exclusive end of the extract month (first day of the next month); added to the frame by
# expectations.validation only while it is validated.
EXTRACT_END_COLUMN = "_extract_end"
# Runtime parameter of every warning rule: the share of rows that must pass it.
MIN_CLEAN_SHARE = "min_clean_share"
DEFAULT_MIN_CLEAN_SHARE = 0.5

# The scalar type (GX compares ``dtype.type``) of the pandas dtypes ingestion.mapping
# produces: string[pyarrow] (str), datetime64[ns], float64, Int64 (int64), boolean (bool).
# With these dtypes GX checks the column's type once instead of every value.
_GX_TYPES = {
    "string": "str",
    "date": "datetime64",
    "timestamp": "datetime64",
    "decimal": "float64",
    "integer": "int64",
    "boolean": "bool",
}


class Severity(StrEnum):
    """What a failed rule does to the load."""

    BLOCKING = "blocking"
    WARNING = "warning"


_GX_SEVERITY = {Severity.BLOCKING: FailureSeverity.CRITICAL, Severity.WARNING: "warning"}


@dataclass(frozen=True)
class ReferenceRule:
    """Every non-null ``column`` value must exist in ``target_entity.target_column``.

    The target may have been loaded from an earlier extract month (a payment can reference
    an invoice extracted months before) or come in the same batch; rows of later extract
    months do not count, so replaying a past month sees what existed then.
    """

    entity: str
    column: str
    target_entity: str
    target_column: str
    severity: Severity = Severity.BLOCKING

    @property
    def rule(self) -> str:
        """The rule name, ``<column>_reference``."""
        return f"{self.column}_reference"


def expectation(
    kind: type[Expectation],
    *,
    rule: str,
    description: str,
    hint: str,
    severity: Severity = Severity.BLOCKING,
    **kwargs: Any,
) -> Expectation:
    """Return an expectation of class ``kind`` with its rule name, description, hint, severity.

    Warning rules get ``mostly = $min_clean_share`` so that a flood of bad rows blocks.
    """
    if severity is Severity.WARNING and "mostly" in kind.__fields__:
        kwargs.setdefault("mostly", {"$PARAMETER": MIN_CLEAN_SHARE})
    return kind(
        meta={"rule": rule, "hint": hint},
        description=description,
        severity=_GX_SEVERITY[severity],
        **kwargs,
    )


def severity_of(config_severity: object) -> Severity:
    """Map a GX ``FailureSeverity`` back to a :class:`Severity`."""
    value = getattr(config_severity, "value", config_severity)
    return Severity.BLOCKING if value == FailureSeverity.CRITICAL.value else Severity.WARNING


def suite_name(table: Entity) -> str:
    """``<system>_<entity>_raw``: the suite is named after the dataset (the asset key)."""
    return f"{table.system}_{table.name}_raw"


def contract_suite(entity_name: str) -> gx.ExpectationSuite:
    """Return a suite holding the rules the entity contract implies (see module docstring)."""
    table = entity(entity_name)
    frame_validator()  # GX suites can only be built while a context exists
    suite = gx.ExpectationSuite(name=suite_name(table))
    for rule in contract_expectations(table):
        suite.add_expectation(rule)
    return suite


def contract_expectations(table: Entity) -> list[Expectation]:
    """Return the contract-derived expectations of ``table``, in a stable order."""
    rules: list[Expectation] = [
        expectation(
            gxe.ExpectTableColumnsToMatchSet,
            column_set=[*table.column_names, *LINEAGE_COLUMNS],
            exact_match=False,
            rule="columns",
            description=f"The frame has every canonical column of {table.name} and the "
            "lineage columns.",
            hint="map every canonical column in the source profile",
        )
    ]
    for column in table.columns:
        rules += _column_expectations(column)
    rules.append(
        expectation(
            gxe.ExpectCompoundColumnsToBeUnique,
            column_list=[*table.key, "_extract_month"],
            rule="key_unique",
            description=f"({', '.join(table.key)}) identifies one row per extract month.",
            hint="an extract holds each record once, in its latest state: remove the "
            "duplicate rows or fix the key mapping",
        )
    )
    return rules


def _column_expectations(column: Column) -> list[Expectation]:
    name = column.name
    rules = [
        expectation(
            gxe.ExpectColumnValuesToBeOfType,
            column=name,
            type_=_GX_TYPES[column.dtype],
            rule=f"{name}_type",
            description=f"{name} holds {column.dtype} values.",
            hint="the column was not typed by ingestion; load frames through ingestion",
        )
    ]
    if not column.nullable:
        rules.append(
            expectation(
                gxe.ExpectColumnValuesToNotBeNull,
                column=name,
                rule=f"{name}_not_null",
                description=f"{name} is required and has a value in every row.",
                hint=f"fill {name} in the export (or set a constant in the profile)",
            )
        )
    if column.allowed is not None:
        rules.append(
            expectation(
                gxe.ExpectColumnValuesToBeInSet,
                column=name,
                value_set=list(column.allowed),
                rule=f"{name}_allowed",
                description=f"{name} is one of: {', '.join(column.allowed)}.",
                hint=f"map the export's labels onto these values under values.{name} in "
                "the source profile",
            )
        )
    if column.non_negative:
        rules.append(
            expectation(
                gxe.ExpectColumnValuesToBeBetween,
                column=name,
                min_value=0,
                rule=f"{name}_non_negative",
                description=f"{name} is zero or more.",
                hint="credit notes and returns are not part of this extract; fix the value "
                "in the source system or the export",
            )
        )
    if column.not_after_extract:
        rules.append(
            expectation(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB,
                column_A=EXTRACT_END_COLUMN,
                column_B=name,
                or_equal=False,
                ignore_row_if="either_value_is_missing",
                rule=f"{name}_not_after_extract",
                description=f"{name} is no later than the last day of the extract month.",
                hint="the file holds records of a later month: is it in the right "
                "extracts/<YYYY-MM>/ folder? Move it to the folder of its month",
            )
        )
    return rules


def reference_rules(entity_name: str) -> list[ReferenceRule]:
    """Return the referential-integrity rules of an entity, from its columns' ``references``."""
    table = entity(entity_name)
    rules = []
    for column in table.columns:
        if column.references:
            target, target_column = column.references.split(".")
            rules.append(ReferenceRule(table.name, column.name, target, target_column))
    return rules
