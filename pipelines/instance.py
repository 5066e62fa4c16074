"""The Dagster instance of a home folder: ``$SALESPLAN_HOME/dagster`` is DAGSTER_HOME."""

from __future__ import annotations

import os

from salesplan.home import HOME_ENV_VAR, SalesplanHome

# Every asset that writes the warehouse is in the `warehouse` pool. With `granularity: run`
# and a limit of 1, the run queue starts at most one run that writes the warehouse at a time
# (launches from the UI, the schedule, the sensor and backfills queue behind it). Slots are
# not claimed per step: a run killed mid-step would otherwise keep its slot and block every
# later run. Runs started by the CLI bypass the queue; they, and every step of every run,
# also take the home's re-plan lock (salesplan/locks.py), which dies with its process.
DAGSTER_YAML = """\
# Written by salesplan; edit freely, it is only rewritten when missing.
concurrency:
  pools:
    granularity: run
    default_limit: 1
telemetry:
  enabled: false
"""


def prepare_dagster_home(home: SalesplanHome) -> None:
    """Create DAGSTER_HOME and its dagster.yaml; point this process's resources at ``home``."""
    home.ensure()
    config = home.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    # The code location's resources resolve the home from the environment.
    os.environ[HOME_ENV_VAR] = str(home.root)
