"""Resources shared by every domain: the home folder and the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from salesplan.home import SalesplanHome, resolve_home
from salesplan.locks import exclusive_lock

# Every asset that opens the warehouse read-write declares this pool; its limit is 1
# ($DAGSTER_HOME/dagster.yaml), because DuckDB admits one writing process per file.
WAREHOUSE_POOL = "warehouse"


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
        connection = duckdb.connect(str(home.warehouse), read_only=read_only)
        try:
            yield connection
        finally:
            connection.close()


home_resource = HomeResource()
warehouse_resource = WarehouseResource()


@dg.definitions
def defs() -> dg.Definitions:
    """Register the shared resources."""
    return dg.Definitions(resources={"home": home_resource, "warehouse": warehouse_resource})
