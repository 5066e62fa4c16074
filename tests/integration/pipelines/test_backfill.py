"""``salesplan backfill``: the extracts are loaded once, up front; the months replay exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from replan_processes import FIRST_MONTH, read_whole_publication, run_cli

from pipelines import runner
from salesplan.entities import ENTITIES
from salesplan.home import HOME_ENV_VAR, resolve_home


def test_a_backfill_loads_its_extracts_in_one_run_and_replays_the_month_exactly(
    small_home_copy: Path,
) -> None:
    before = read_whole_publication(small_home_copy / "published")

    result = run_cli(small_home_copy, "backfill", "--from", FIRST_MONTH, "--to", FIRST_MONTH)

    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stderr.splitlines()
    month_starts = next(i for i, line in enumerate(lines) if "backfill 1/1: as-of" in line)
    loads = [line for line in lines if line.endswith("_raw: started")]
    assert len(loads) == len(ENTITIES)
    assert all(lines.index(line) < month_starts for line in loads)
    # The re-plan of the month read the reloaded extracts and published the same bytes.
    after = read_whole_publication(small_home_copy / "published")
    assert after.snapshot != before.snapshot
    assert after.parquet_sha256 == before.parquet_sha256


def test_a_replan_without_ingestion_refuses_a_month_whose_extract_is_not_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import demodata

    home = resolve_home(tmp_path / "home")
    demodata.generate(home.root, size="small")
    # The runner points this process at the home; the variables are restored afterwards.
    monkeypatch.setenv("DAGSTER_HOME", str(home.dagster_home))
    monkeypatch.setenv(HOME_ENV_VAR, str(home.root))

    with pytest.raises(runner.RunFailed, match=r"extract months .*2026-09.* are not loaded"):
        runner.replan(home, FIRST_MONTH, progress=lambda _line: None, ingest=False)
    assert not home.warehouse.exists()
