"""The runner's progress logger: step lines for people, step events for an observer."""

from __future__ import annotations

import dagster as dg

from pipelines.runner import progress_logger_def


@dg.op
def extract() -> int:
    return 1


@dg.op
def load(value: int) -> int:
    return value


@dg.op
def broken() -> int:
    raise ValueError("bad row")


@dg.job
def two_steps() -> None:
    load(extract())


@dg.job
def failing_first() -> None:
    load(broken())


def _run(job: dg.JobDefinition) -> tuple[list[tuple[str, str]], list[str]]:
    events: list[tuple[str, str]] = []
    lines: list[str] = []
    logged = job.with_logger_defs(
        {
            "progress": progress_logger_def(
                lines.append, lambda kind, step: events.append((kind, step))
            )
        }
    )
    logged.execute_in_process(
        run_config={"loggers": {"progress": {}}},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    return events, lines


def test_the_observer_hears_every_step_start_and_end_in_order() -> None:
    events, lines = _run(two_steps)
    assert events == [
        ("STEP_START", "extract"),
        ("STEP_SUCCESS", "extract"),
        ("STEP_START", "load"),
        ("STEP_SUCCESS", "load"),
    ]
    assert "extract: started" in lines
    assert "load: done" in lines


def test_the_observer_hears_a_failed_step_end_and_nothing_of_the_steps_after_it() -> None:
    events, _ = _run(failing_first)
    assert events == [("STEP_START", "broken"), ("STEP_FAILURE", "broken")]
