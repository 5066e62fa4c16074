"""Resources shared by every domain: the home folder and the warehouse."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from salesplan.home import SalesplanHome, resolve_home
from salesplan.locks import exclusive_lock

# Every asset that opens the warehouse read-write declares this pool; its limit is 1
# ($DAGSTER_HOME/dagster.yaml), because DuckDB admits one writing process per file.
WAREHOUSE_POOL = "warehouse"
BUSY_POLL_S = 0.5
MEMORY_LIMIT_ENV = "SALESPLAN_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "6GB"


class HomeResource(dg.ConfigurableResource):
    """The ``SALESPLAN_HOME`` folder (``root``; default ``$SALESPLAN_HOME`` or ``./.salesplan``)."""

    root: str | None = None

    @property
    def home(self) -> SalesplanHome:
        """The resolved home-folder layout."""
        return resolve_home(self.root)


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB warehouse of a home folder. Writers must run in ``WAREHOUSE_POOL``.

    While a run (in-process executor) or a step (multiprocess executor) uses this resource it
    holds the home's re-plan lock (``salesplan.locks``), so runs launched from the UI, the
    schedule, the sensor and the CLI never write the warehouse at the same time: the later one
    waits up to ``lock_timeout_s`` and then fails naming the holder.
    """

    root: str | None = None
    lock_timeout_s: float = 3600.0
    # A re-plan killed while dbt ran leaves the dbt process running until it finishes; it still
    # holds DuckDB's file lock although the re-plan lock is free. Wait for it this long.
    busy_timeout_s: float = 600.0
    _lock: ExitStack = PrivateAttr(default_factory=ExitStack)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Take the home's re-plan lock for as long as the run or step lasts."""
        home = resolve_home(self.root)
        run = context.run_id if context.dagster_run else "ad hoc"
        self._lock.enter_context(
            exclusive_lock(
                home.root / "warehouse.lock",
                purpose=f"Dagster run {run}",
                timeout_s=self.lock_timeout_s,
            )
        )

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Release the re-plan lock."""
        self._lock.close()

    @property
    def path(self) -> str:
        """Filesystem path of the warehouse file."""
        return str(resolve_home(self.root).warehouse)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the warehouse; the connection is closed when the block ends."""
        home = resolve_home(self.root)
        home.root.mkdir(parents=True, exist_ok=True)
        connection = open_when_free(home.warehouse, read_only, self.busy_timeout_s)
        try:
            yield connection
        finally:
            connection.close()

    def wait_until_free(self) -> None:
        """Return once no other process holds the warehouse file (before starting dbt)."""
        with self.connect():
            pass


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for the warehouse (``SALESPLAN_DUCKDB_MEMORY_LIMIT``, default 6GB).

    DuckDB's own default is 80% of the machine's memory, which leaves no room for the frames
    the assets hold next to it; beyond the limit DuckDB spills to ``warehouse.duckdb.tmp``.
    dbt's profile reads the same variable.
    """
    return os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT)


def open_when_free(path: Path, read_only: bool, timeout_s: float) -> duckdb.DuckDBPyConnection:
    """Connect to the DuckDB file at ``path``, waiting while another process holds it.

    Raises:
        duckdb.IOException: when it is still held after ``timeout_s``, with DuckDB's message
            (which names the holding process).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return duckdb.connect(
                str(path), read_only=read_only, config={"memory_limit": duckdb_memory_limit()}
            )
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(BUSY_POLL_S)


home_resource = HomeResource()
warehouse_resource = WarehouseResource()


@dg.definitions
def defs() -> dg.Definitions:
    """Register the shared resources."""
    return dg.Definitions(resources={"home": home_resource, "warehouse": warehouse_resource})
