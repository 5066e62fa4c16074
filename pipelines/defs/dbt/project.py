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
    """Prepare the manifest if this checkout has none yet or it is stale; return its path.

    The CLI calls this before loading the code location, acting as the build step. A manifest
    older than any project file would load yesterday's asset graph: a new model would never be
    selected, a new test never become a check.
    """
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest.exists():
        progress("preparing the dbt manifest (dbt parse, once per checkout)")
        return prepare_manifest()
    if manifest_is_stale(manifest):
        progress("the dbt project changed since its manifest was prepared: dbt parse")
        return prepare_manifest()
    return manifest


def manifest_is_stale(manifest: Path, project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """Whether a model, macro, test or config file of the project is newer than ``manifest``."""
    prepared = manifest.stat().st_mtime
    sources = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in ("models", "macros", "tests"):
        sources += [path for path in (project_dir / folder).rglob("*") if path.is_file()]
    return any(path.stat().st_mtime > prepared for path in sources if path.exists())


def main() -> None:
    """Prepare the manifest (``make manifest``) and say where it is."""
    print(f"dbt manifest: {prepare_manifest()}")


if __name__ == "__main__":
    main()
