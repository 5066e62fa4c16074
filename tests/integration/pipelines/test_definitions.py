"""The code location loads, from workspace.yaml as `dagster dev` would, and its graph is pinned."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.dbt.project import ensure_manifest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    ensure_manifest(lambda _message: None)
    from pipelines.definitions import defs as loaded

    dg.Definitions.validate_loadable(loaded)
    return loaded


def _python(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run this interpreter with ``args`` in the repository, the environment updated."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_workspace_yaml_loads_with_no_errors(tmp_path):
    ensure_manifest(lambda _message: None)
    result = _python(
        *("-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"),
        DAGSTER_HOME=str(tmp_path),
        SALESPLAN_HOME=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_the_code_location_runs_this_environment_s_dbt_when_it_is_not_on_path(tmp_path):
    # As when .venv/bin/salesplan runs without the virtual environment activated.
    result = _python(
        "-c",
        "from pipelines.defs.dbt.resources import dbt_resource; print(dbt_resource.dbt_executable)",
        PATH=os.defpath,
        SALESPLAN_HOME=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert Path(result.stdout.strip()) == Path(sys.executable).parent / "dbt"


def test_the_asset_graph_is_unchanged(defs, snapshot):
    """Keys, groups, dependencies, checks, jobs, schedules and sensors (make update_snapshot)."""
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys()):
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "partitioned": node.partitions_def is not None,
            "checks": sorted(check.name for check in node.check_keys),
        }
    shape = {
        "assets": assets,
        "jobs": sorted(job.name for job in defs.resolve_all_job_defs()),
        "schedules": sorted(schedule.name for schedule in defs.schedules or []),
        "sensors": sorted(sensor.name for sensor in defs.sensors or []),
    }
    assert shape == snapshot


def test_every_asset_that_writes_the_warehouse_is_in_the_warehouse_pool(defs):
    writers = {"crm_ingest", "erp_ingest", "planning_inputs", "forecasts", "targets", "marts"}
    for assets_def in defs.resolve_asset_graph().assets_defs:
        groups = set(assets_def.group_names_by_key.values())
        if assets_def.is_executable and groups & writers:
            assert assets_def.op.pool == "warehouse", assets_def.keys
