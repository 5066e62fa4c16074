"""The dbt CLI resource of the code location."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource
from packaging import version

from pipelines.defs.dbt.fork_server import CLIENT_ENV_VAR
from pipelines.defs.dbt.project import salesplan_dbt_project


class SalesplanDbtCliResource(DbtCliResource):
    """``DbtCliResource`` without two start-up costs it pays before every dbt command.

    Before each invocation dagster-dbt 0.29 runs ``dbt --version`` in a subprocess to learn
    the version (a whole dbt start-up: 2.5 s of CPU, 4 s of wall time on the 2-core machine)
    and builds a dbt adapter inside this process (dbt-core's imports plus parsing every macro:
    1.7 s of CPU). The adapter only serves ``fetch_row_counts`` and ``fetch_column_metadata``,
    which the assets do not use, so this resource reads the version of the installed dbt-core
    package instead and builds no adapter; the dbt command itself runs exactly as before.
    Both are paid once per monthly run, twelve times in a year's backfill.

    Inside ``fork_server.dbt_fork_server`` (a backfill), dbt commands start through the
    block's fork server instead of as a new ``dbt`` process.
    """

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
        """Run ``dbt <args>`` as ``DbtCliResource.cli`` does, through a fork server if one runs."""
        client = os.environ.get(CLIENT_ENV_VAR)
        if client and self.dbt_executable != client:
            return self.model_copy(update={"dbt_executable": client}).cli(args, **kwargs)
        return super().cli(args, **kwargs)

    @cached_property
    def _cli_version(self) -> version.Version:
        # The dbt executable next to this interpreter is the installed dbt-core's (the lock
        # file pins it); the Fusion engine, which has no dbt-core package, is not supported.
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        # cli() passes the adapter to the invocation, which needs it only to fetch metadata.
        return None


def dbt_executable() -> str:
    """The dbt of this environment, next to the interpreter; else whichever dbt is on PATH.

    dagster-dbt looks for ``dbt`` on PATH by default, so a code location started from a virtual
    environment that is not activated (``.venv/bin/salesplan run``, ``.venv/bin/dagster dev``)
    failed to load, although the locked dbt-core is installed right beside it.
    """
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.is_file() else "dbt"


dbt_resource = SalesplanDbtCliResource(
    project_dir=salesplan_dbt_project(), dbt_executable=dbt_executable()
)


@dg.definitions
def defs() -> dg.Definitions:
    """Register the dbt resource."""
    return dg.Definitions(resources={"dbt": dbt_resource})
