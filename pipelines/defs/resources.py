"""Resources shared by every domain: the home folder and the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from salesplan.home import SalesplanHome, resolve_home

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
    """The working DuckDB warehouse of a home folder. Writers must run in ``WAREHOUSE_POOL``."""

    root: str | None = None

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
