"""A re-plan killed at any point never leaves a partial publication, and the next run completes.

One scenario on a copy of the small demo whose as-of 2026-10 plan is published: ten re-plans of
2026-11 are killed (SIGKILL on the re-plan process, as a crash or an OOM kill would) at points
spread over every stage; then a re-plan runs to completion while BI readers read the serving
file in a loop and a second re-plan tries to start; then both months are replayed by
`salesplan backfill`. The tests below assert on what the scenario recorded.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from replan_processes import (
    FIRST_MONTH,
    NEXT_MONTH,
    PublishedState,
    RunningCli,
    read_whole_publication,
    reader_loop,
    run_cli,
)

from salesplan.entities import ENTITIES

# Where the kills land: just after a stage starts, plus a random delay so the exact point
# inside the stage varies. Early kills are cheap, late ones cost a near-complete run, so the
# stages before dbt's end get more of the ten; the last kill lands after the switch, while
# the report is written.
KILL_POINTS = (
    ("crm_opportunities_raw: started", 0.5),
    ("crm_activities_raw: started", 0.2),
    ("erp_payments_raw: started", 0.2),
    ("salesplan_dbt_models: started", 1.0),
    ("salesplan_dbt_models: started", 8.0),
    ("salesplan_dbt_models: started", 15.0),
    ("forecast_version: started", 1.0),
    ("plan_version: started", 1.0),
    ("bi_publication: started", 0.4),
    ("bi_publication: done", 0.0),
)
READERS = 3


@dataclass
class Scenario:
    before: PublishedState
    after_kills: list[tuple[str, PublishedState]] = field(default_factory=list)
    completed_exit: int | None = None
    completed: PublishedState | None = None
    blocked_second_run: tuple[int, str] | None = None
    reader_results: list[tuple[int, list, list]] = field(default_factory=list)
    replayed_exit: int | None = None
    replay_lines: list[str] = field(default_factory=list)
    replayed: PublishedState | None = None


@pytest.fixture(scope="module")
def scenario(published_small_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    home = tmp_path_factory.mktemp("reliability") / "home"
    shutil.copytree(published_small_home, home, symlinks=True)
    recorded = Scenario(before=read_whole_publication(home / "published"))
    jitter = random.Random(20261123)

    for fragment, delay in KILL_POINTS:
        # A killed run's dbt (if any) is left running on purpose: the next run must cope.
        run = RunningCli(home, "run", "--as-of", NEXT_MONTH, "--wait", "600")
        if run.wait_for(fragment):
            time.sleep(delay * (0.5 + jitter.random()))
        run.kill()
        recorded.after_kills.append((fragment, read_whole_publication(home / "published")))
    time.sleep(0.5)

    context = mp.get_context("spawn")
    stop = context.Event()
    results = context.Queue()
    serving = str(home / "published" / "salesplan.duckdb")
    readers = [
        context.Process(target=reader_loop, args=(serving, stop, results)) for _ in range(READERS)
    ]
    for reader in readers:
        reader.start()
    completing = RunningCli(home, "run", "--as-of", NEXT_MONTH, "--wait", "600")
    try:
        completing.wait_for("salesplan_dbt_models: started")
        second = run_cli(home, "run", "--as-of", NEXT_MONTH, "--wait", "0")
        recorded.blocked_second_run = (second.returncode, second.stderr)
        recorded.completed_exit = completing.finish()
    finally:
        completing.kill_leftovers()
        stop.set()
        recorded.reader_results = [results.get(timeout=120) for _ in readers]
        for reader in readers:
            reader.join(60)
    recorded.completed = read_whole_publication(home / "published")

    # The replay goes through `salesplan backfill` of both months: their extracts are loaded in
    # one ingestion run first, then each month is re-planned without ingestion, its dbt build
    # forked from the backfill's dbt process.
    replay = run_cli(home, "backfill", "--from", FIRST_MONTH, "--to", NEXT_MONTH)
    recorded.replayed_exit = replay.returncode
    recorded.replay_lines = replay.stderr.splitlines()
    recorded.replayed = read_whole_publication(home / "published")
    return recorded


def test_every_kill_leaves_the_previous_or_the_new_publication_whole(scenario):
    assert scenario.before.as_of_month == FIRST_MONTH
    for fragment, state in scenario.after_kills:
        # read_whole_publication already asserted manifest, Parquet and DuckDB agree.
        assert state.as_of_month in (FIRST_MONTH, NEXT_MONTH), fragment
        if state.as_of_month == FIRST_MONTH:
            assert state.parquet_sha256 == scenario.before.parquet_sha256, fragment
    killed_before_publication = scenario.after_kills[0][1]
    assert killed_before_publication.snapshot == scenario.before.snapshot


def test_the_run_after_the_kills_completes_and_publishes_the_new_month(scenario):
    assert scenario.completed_exit == 0
    assert scenario.completed.as_of_month == NEXT_MONTH
    assert NEXT_MONTH in scenario.completed.versions["target_plan"]
    assert FIRST_MONTH in scenario.completed.versions["target_plan"]


def test_a_second_replan_while_one_runs_fails_at_once_naming_the_first(scenario):
    exit_code, stderr = scenario.blocked_second_run
    assert exit_code == 1
    assert "is writing this home's warehouse" in stderr
    assert "re-plan as-of 2026-11" in stderr


def test_readers_during_a_replan_see_one_whole_version_and_never_an_error(scenario):
    for reads, seen, errors in scenario.reader_results:
        assert errors == []
        assert reads > 10
        months = [month for _, month in seen]
        assert months[-1] == NEXT_MONTH
        assert months == sorted(months)  # never back to an older version


def test_replaying_the_months_leaves_identical_published_bytes(scenario):
    assert scenario.replayed_exit == 0, "\n".join(scenario.replay_lines[-40:])
    assert scenario.replayed.snapshot != scenario.completed.snapshot
    assert scenario.replayed.parquet_sha256 == scenario.completed.parquet_sha256


def test_the_backfill_replay_loads_every_extract_before_it_re_plans(scenario):
    lines = scenario.replay_lines
    month_starts = next(i for i, line in enumerate(lines) if "backfill 1/2: as-of" in line)
    loads = [i for i, line in enumerate(lines) if line.endswith("_raw: started")]
    assert len(loads) == len(ENTITIES)
    assert max(loads) < month_starts


def test_the_backfill_replay_builds_through_one_dbt_process(scenario):
    assert "backfill: dbt builds start from one process that imports dbt once" in "\n".join(
        scenario.replay_lines
    )
