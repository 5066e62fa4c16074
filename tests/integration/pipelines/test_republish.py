"""``salesplan republish`` points the serving file at a home folder's new place."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from replan_processes import FIRST_MONTH, run_cli

from salesplan.locks import exclusive_lock


def _views(serving_file: Path) -> dict[str, str]:
    reader = duckdb.connect(str(serving_file), read_only=True)
    try:
        return dict(
            reader.execute(
                "select view_name, sql from duckdb_views() where not internal"
            ).fetchall()
        )
    finally:
        reader.close()


def _totals(serving_file: Path) -> dict[str, int]:
    reader = duckdb.connect(str(serving_file), read_only=True)
    try:
        rows = reader.execute("select table_name from _publication").fetchall()
        names = [row[0] for row in rows]
        return {
            name: reader.execute(f"select count(*) from {name}").fetchall()[0][0] for name in names
        }
    finally:
        reader.close()


def test_a_copied_home_reads_its_own_files_after_republish(
    published_small_home: Path, tmp_path: Path
) -> None:
    moved = tmp_path / "moved"
    shutil.copytree(published_small_home / "published", moved / "published", symlinks=True)
    serving = moved / "published" / "salesplan.duckdb"
    assert all(str(published_small_home) in sql for sql in _views(serving).values())

    result = run_cli(moved, "republish")

    assert result.returncode == 0, result.stderr[-4000:]
    assert f"published as-of {FIRST_MONTH} again as snapshot" in result.stderr
    views = _views(serving)
    assert views, "the serving file has no views"
    assert all(str(moved / "published" / "snapshots") in sql for sql in views.values())
    assert not any(str(published_small_home) in sql for sql in views.values())
    assert _totals(serving) == _totals(published_small_home / "published" / "salesplan.duckdb")


def test_republish_waits_for_no_re_plan_and_names_the_one_running(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with exclusive_lock(home / "warehouse.lock", purpose="re-plan as-of 2026-11"):
        result = run_cli(home, "republish")
    assert result.returncode == 1
    assert "re-plan as-of 2026-11" in result.stderr


def test_republish_before_any_re_plan_says_what_to_run(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "home", "republish")
    assert result.returncode == 1
    assert "nothing is published" in result.stderr
    assert "salesplan run" in result.stderr
