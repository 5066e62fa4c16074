"""The dbt project handle, built once, and the build-time step that prepares its manifest.

Loading the code location reads ``dbt_project/target/manifest.json`` and never runs dbt,
except under ``dagster dev``, where ``prepare_if_dev`` re-parses the project so edits to the
models show up on reload. Everywhere else the manifest is prepared at build time::

    make manifest        # = python -m pipelines.defs.dbt.project (runs dbt parse)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"


@cache
def salesplan_dbt_project() -> DbtProject:
    """Return the dbt project, parsed first when running under ``dagster dev``."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    return project


def prepare_manifest() -> Path:
    """Run ``dbt parse`` and return the path of the manifest it wrote."""
    project = salesplan_dbt_project()
    project.preparer.prepare(project)
    return project.manifest_path


def ensure_manifest(progress: Callable[[str], None] = print) -> Path:
    """Prepare the manifest if this checkout has none yet (a fresh clone); return its path.

    The CLI calls this before loading the code location, acting as the build step.
    """
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest.exists():
        progress("preparing the dbt manifest (dbt parse, once per checkout)")
        return prepare_manifest()
    return manifest


def main() -> None:
    """Prepare the manifest (``make manifest``) and say where it is."""
    print(f"dbt manifest: {prepare_manifest()}")


if __name__ == "__main__":
    main()
