"""Helpers of the Spark tests: the as-of month, the dbt vars, the product's Spark session."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from pipelines.defs.dbt.dbt_vars import DbtVars, dbt_vars_for_partition
from planning.config import load_config
from salesplan.home import SalesplanHome

AS_OF = "2026-11-01"
RAW_LAYER_SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "spark_raw_layer.py"


@cache
def raw_layer_script() -> ModuleType:
    """``scripts/spark_raw_layer.py``, the tool users run to put the raw layer on Spark."""
    spec = importlib.util.spec_from_file_location("spark_raw_layer", RAW_LAYER_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def local_session(folder: Path) -> Any:
    """The session of the dbt target ``spark`` (the script's), on a catalog in ``folder``."""
    session = raw_layer_script().local_session(folder)
    session.sparkContext.setLogLevel("ERROR")
    return session


def dbt_vars(home: SalesplanHome) -> DbtVars:
    """The vars of the production build of AS_OF for ``home`` (its planning.yml)."""
    config = load_config(home.planning_config)
    return dbt_vars_for_partition(
        AS_OF,
        fiscal_year_start_month=config.fiscal_start_month,
        reporting_currency=config.currency,
    )
