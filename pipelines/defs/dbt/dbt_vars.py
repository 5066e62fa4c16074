"""The ``--vars`` of one dbt build, from the as-of partition and the planning configuration.

The dbt project reads its as-of month, fiscal calendar and reporting currency only from these
vars (``dbt_project/dbt_project.yml`` documents each), so a build is a pure function of the raw
layer and this mapping, and replaying a past partition rebuilds exactly what it built then. The
dbt asset hands ``as_of_month`` over as the environment variable the project reads when the
var is unset (``pipelines.defs.dbt.assets``: it keeps dbt's parse of the project), the others
as ``--vars``.
"""

from __future__ import annotations

from salesplan.months import parse_month

DbtVars = dict[str, str | int | float]


def dbt_vars_for_partition(
    partition_key: str,
    *,
    fiscal_year_start_month: int,
    reporting_currency: str,
    reconciliation_tolerance: float | None = None,
) -> DbtVars:
    """Return the dbt vars of the build for as-of partition ``partition_key``.

    Args:
        partition_key: an ``AS_OF_MONTHS`` key, ``YYYY-MM-01`` (``YYYY-MM`` is accepted too).
        fiscal_year_start_month: first month of the fiscal year, 1-12 (planning.yml
            ``fiscal_year.start_month``).
        reporting_currency: the currency of every amount in the marts (planning.yml
            ``money.currency``).
        reconciliation_tolerance: overrides the project's default (0.05) when given.

    Returns:
        ``as_of_month`` (``YYYY-MM-01``), ``fiscal_year_start_month``, ``reporting_currency``
        and, when given, ``reconciliation_tolerance``.

    Raises:
        ValueError: if the partition key is not a month, the start month is not 1-12, the
            currency is not a three-letter code or the tolerance is negative.
    """
    as_of_month = parse_month(partition_key)
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError(
            f"fiscal_year_start_month must be a month number 1-12, not {fiscal_year_start_month}"
        )
    if not (
        len(reporting_currency) == 3
        and reporting_currency.isascii()
        and reporting_currency.isalpha()
    ):
        raise ValueError(
            f"reporting_currency must be a three-letter currency code such as CNY, "
            f"not {reporting_currency!r}"
        )
    dbt_vars: DbtVars = {
        "as_of_month": as_of_month.isoformat(),
        "fiscal_year_start_month": fiscal_year_start_month,
        "reporting_currency": reporting_currency.upper(),
    }
    if reconciliation_tolerance is not None:
        if reconciliation_tolerance < 0:
            raise ValueError(
                f"reconciliation_tolerance must be >= 0, not {reconciliation_tolerance}"
            )
        dbt_vars["reconciliation_tolerance"] = reconciliation_tolerance
    return dbt_vars
