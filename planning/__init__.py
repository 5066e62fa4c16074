"""Target maths for the monthly re-plan (销售目标拆解): pure Python, frames in, frames out.

The whole re-plan is one call::

    from planning import PlanInputs, build_plan, load_config

    config = load_config(home.planning_config)
    result = build_plan(inputs, config, "2026-11", previous=previous_version)
    result.target_plan, result.funnel_requirements, ...

Modules, one concern each: :mod:`~planning.config` (planning.yml), :mod:`~planning.calendar`
(fiscal calendar, ISO weeks, working days), :mod:`~planning.money` (exact splits),
:mod:`~planning.hierarchy` (node paths and trees), :mod:`~planning.allocate` (allocation
methods), :mod:`~planning.locks` (adjustments and locks), :mod:`~planning.redecompose` (the
re-decomposition), :mod:`~planning.outlook` (forecast view and probabilities),
:mod:`~planning.funnel` (reverse funnel), :mod:`~planning.rebates`, :mod:`~planning.changes`
(plan-change waterfall), :mod:`~planning.alerts` and :mod:`~planning.plan` (the entry point and
output frames). No module imports Dagster, dbt or a database.
"""

from planning.config import ConfigError, PlanningConfig, load_config, parse_config
from planning.inputs import PlanInputs, PlanningInputError
from planning.locks import InfeasibleLockError
from planning.plan import (
    OFFICIAL,
    PlanResult,
    PreviousVersion,
    build_plan,
    combine_parts,
    plan_streams,
)

__all__ = [
    "OFFICIAL",
    "ConfigError",
    "InfeasibleLockError",
    "PlanInputs",
    "PlanResult",
    "PlanningConfig",
    "PlanningInputError",
    "PreviousVersion",
    "build_plan",
    "combine_parts",
    "load_config",
    "parse_config",
    "plan_streams",
]
