"""The ``SALESPLAN_HOME`` folder: where every piece of state lives.

Deleting the home folder resets everything. Layout (the contract scripts and people rely on)::

    $SALESPLAN_HOME/                 default ./.salesplan
      landing/
        planning.yml                 planning configuration (calendar, hierarchy, methods, ...)
        scenarios/<name>.yml         alternative planning configs for what-if runs
        profiles/<name>.yml          source profiles: how each export maps onto an entity
        extracts/<YYYY-MM>/...       the files of one extract (data) month, any sub-folders
      warehouse.duckdb               the working warehouse (one writer at a time; not for BI)
      published/                     what BI tools read (replaced atomically per re-plan)
      reports/                       leadership report per as-of month
      dagster/                       DAGSTER_HOME (run storage, dagster.yaml)
      dbt/                           the latest dbt build's artifacts (run_results.json, dbt.log)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV_VAR = "SALESPLAN_HOME"
DEFAULT_HOME = Path(".salesplan")


@dataclass(frozen=True)
class SalesplanHome:
    """Paths inside one home folder. Construct with :func:`resolve_home`."""

    root: Path

    @property
    def landing(self) -> Path:
        """Incoming extracts, source profiles and planning configuration."""
        return self.root / "landing"

    @property
    def extracts(self) -> Path:
        """One sub-folder per extract month, ``extracts/YYYY-MM``."""
        return self.landing / "extracts"

    @property
    def profiles(self) -> Path:
        """Source profiles (YAML), one per source file shape."""
        return self.landing / "profiles"

    @property
    def planning_config(self) -> Path:
        """The official planning configuration."""
        return self.landing / "planning.yml"

    @property
    def scenarios(self) -> Path:
        """Alternative planning configurations, one ``<scenario>.yml`` each."""
        return self.landing / "scenarios"

    @property
    def warehouse(self) -> Path:
        """The working DuckDB warehouse. Never point BI tools here."""
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        """The folder BI tools read."""
        return self.root / "published"

    @property
    def reports(self) -> Path:
        """Leadership reports and manager workbooks."""
        return self.root / "reports"

    @property
    def dbt_target(self) -> Path:
        """The target folder of dbt: artifacts and log of the latest build, replaced by the next."""
        return self.root / "dbt"

    @property
    def dagster_home(self) -> Path:
        """DAGSTER_HOME for runs launched by the CLI or ``dagster dev``."""
        return self.root / "dagster"

    def extract_folder(self, month: str) -> Path:
        """The folder holding the extract files of data month ``YYYY-MM``."""
        return self.extracts / month

    def ensure(self) -> SalesplanHome:
        """Create the folders of the layout if they are missing and return ``self``."""
        for folder in (
            self.extracts,
            self.profiles,
            self.scenarios,
            self.published,
            self.reports,
            self.dagster_home,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def resolve_home(root: str | os.PathLike[str] | None = None) -> SalesplanHome:
    """Return the home folder: ``root``, else ``$SALESPLAN_HOME``, else ``./.salesplan``."""
    chosen = root if root is not None else os.environ.get(HOME_ENV_VAR) or DEFAULT_HOME
    return SalesplanHome(Path(chosen).expanduser().resolve())
