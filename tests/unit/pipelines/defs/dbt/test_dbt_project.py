import os
from pathlib import Path

from pipelines.defs.dbt.project import manifest_is_stale


def _project(root: Path) -> Path:
    (root / "models" / "staging").mkdir(parents=True)
    (root / "macros").mkdir()
    (root / "dbt_project.yml").write_text("name: x\n", encoding="utf-8")
    (root / "models" / "staging" / "stg_a.sql").write_text("select 1 as a\n", encoding="utf-8")
    manifest = root / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}", encoding="utf-8")
    return manifest


def _touch(path: Path, seconds: float) -> None:
    os.utime(path, (seconds, seconds))


def test_a_manifest_newer_than_every_project_file_is_fresh(tmp_path):
    manifest = _project(tmp_path)
    for path in tmp_path.rglob("*"):
        _touch(path, 1_000)
    _touch(manifest, 2_000)

    assert not manifest_is_stale(manifest, tmp_path)


def test_a_model_edited_after_the_manifest_makes_it_stale(tmp_path):
    manifest = _project(tmp_path)
    for path in tmp_path.rglob("*"):
        _touch(path, 1_000)
    _touch(manifest, 2_000)
    _touch(tmp_path / "models" / "staging" / "stg_a.sql", 3_000)

    assert manifest_is_stale(manifest, tmp_path)


def test_a_changed_project_config_makes_it_stale(tmp_path):
    manifest = _project(tmp_path)
    for path in tmp_path.rglob("*"):
        _touch(path, 1_000)
    _touch(manifest, 2_000)
    _touch(tmp_path / "dbt_project.yml", 3_000)

    assert manifest_is_stale(manifest, tmp_path)
