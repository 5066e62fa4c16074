"""The Dagster instance of a home folder: ``$SALESPLAN_HOME/dagster`` is DAGSTER_HOME."""

from __future__ import annotations

import os

from salesplan.home import HOME_ENV_VAR, SalesplanHome

# Pools: every asset that writes the warehouse is in the `warehouse` pool; a limit of 1 makes
# the steps of concurrent runs take turns (DuckDB admits one writing process per file).
# Runs: the re-plan job is tagged `salesplan/replan`; one at a time, the next one queues,
# because a second re-plan would rebuild the marts for its own month under the first.
DAGSTER_YAML = """\
# Written by salesplan; edit freely, it is only rewritten when missing.
concurrency:
  pools:
    default_limit: 1
  runs:
    tag_concurrency_limits:
      - key: salesplan/replan
        limit: 1
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
