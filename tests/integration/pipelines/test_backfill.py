"""A re-plan without ingestion (``salesplan backfill``'s) needs its extracts loaded.

The backfill itself (one ingestion run, then the months; the same published bytes) is tested
on the reliability scenario's replay (``test_replan_reliability.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from replan_processes import FIRST_MONTH

from pipelines import runner
from salesplan.home import HOME_ENV_VAR, resolve_home


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
