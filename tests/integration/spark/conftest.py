"""One Spark session (local mode) for the Spark tests, and the small demo built on DuckDB.

The small demo is ingested into DuckDB and its marts are built there: the reference the Spark
paths must match.

Spark needs Java 17 (21 works too). ``JAVA_HOME`` wins when it is set; otherwise ``java`` on
PATH; otherwise the first JDK 17 under ``/usr/lib/jvm`` (Debian's layout), so a CI machine with
Java installed but ``JAVA_HOME`` unset still runs these tests. Nothing is downloaded: the Spark
and Hive jars come with the pyspark wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from spark_helpers import dbt_vars, local_session

import demodata
from ingestion.load import ingest
from pipelines.defs.dbt.assets import DBT_BUILD_ARGS, DBT_ENV_DEFAULTS
from pipelines.defs.dbt.project import DBT_PROJECT_DIR
from salesplan.home import SalesplanHome, resolve_home

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
JVM_FOLDER = Path("/usr/lib/jvm")


def find_java_home() -> str | None:
    """Return a JDK for Spark when neither JAVA_HOME nor ``java`` on PATH provides one."""
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return None
    candidates = sorted(JVM_FOLDER.glob("*17*")) if JVM_FOLDER.is_dir() else []
    for candidate in candidates:
        if (candidate / "bin" / "java").exists():
            return str(candidate)
    return None


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The one Spark session of the test run (local[2], Hive catalog in a temp folder)."""
    java_home = find_java_home()
    if java_home:
        os.environ["JAVA_HOME"] = java_home
    session = local_session(tmp_path_factory.mktemp("spark"))
    yield session
    session.stop()


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> SalesplanHome:
    """The small demo, every month ingested, marts built by dbt on DuckDB as of ``AS_OF``."""
    home = resolve_home(tmp_path_factory.mktemp("spark_small_demo"))
    demodata.generate(home.root, size="small")
    months = sorted(folder.name for folder in home.extracts.iterdir() if folder.is_dir())
    ingest(home, months)
    target = home.root / "dbt_target_duckdb"
    env = {
        **os.environ,
        **DBT_ENV_DEFAULTS,
        "SALESPLAN_WAREHOUSE": str(home.warehouse),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    result = subprocess.run(
        [
            str(DBT_EXECUTABLE),
            *DBT_BUILD_ARGS,
            "--vars",
            json.dumps(dbt_vars(home)),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        env=env,
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    return home
