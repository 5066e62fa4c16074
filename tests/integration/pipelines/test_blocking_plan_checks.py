"""A plan version that fails a blocking check is never published.

The version is written to the warehouse and checked there; a failed blocking check fails the
run before ``publish``, so readers keep the last good plan.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from replan_processes import NEXT_MONTH, read_whole_publication

from pipelines import runner
from pipelines.defs.targets import assets
from planning import PlanResult
from salesplan.home import HOME_ENV_VAR, resolve_home


def test_a_plan_a_fen_off_fails_sums_exact_and_the_last_good_plan_stays_published(
    published_small_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = resolve_home(tmp_path / "home")
    shutil.copytree(published_small_home, home.root, symlinks=True)
    before = read_whole_publication(home.published)
    # The runner executes the job in this process; the variables are restored afterwards.
    monkeypatch.setenv("DAGSTER_HOME", str(home.dagster_home))
    monkeypatch.setenv(HOME_ENV_VAR, str(home.root))
    planned = assets.plan_streams

    def a_fen_off(*args: object, **kwargs: object) -> Iterator[PlanResult]:
        for index, part in enumerate(planned(*args, **kwargs)):
            if index == 0:  # the first stream's year, quarter and month rows
                plan = part.target_plan.copy()
                open_months = (
                    plan["is_leaf"] & (plan["grain"] == "month") & (plan["status"] == "open")
                )
                plan.loc[plan.index[open_months][0], "period_target"] += 1
                part = dataclasses.replace(part, target_plan=plan)
            yield part

    monkeypatch.setattr(assets, "plan_streams", a_fen_off)

    with pytest.raises(runner.RunFailed, match=r"blocking asset check") as failed:
        runner.replan(home, NEXT_MONTH, progress=lambda _line: None)

    assert str(failed.value).splitlines()[2] == "target_plan: sums_exact"
    assert read_whole_publication(home.published) == before
