"""Run the Dagster jobs of the code location in-process, for the CLI and the benchmarks.

The CLI needs no server: it executes the same jobs the Dagster UI launches, in this process,
against the home folder's persistent instance (``$SALESPLAN_HOME/dagster``), so the runs also
appear in ``dagster dev``. Progress is printed as compact lines; a failed step raises
:class:`RunFailed` with the step's own message (which names file, row, column and value).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from salesplan.errors import SalesplanError
from salesplan.home import SalesplanHome
from salesplan.processes import is_running

Progress = Callable[[str], None]
# Called with the Dagster event type (STEP_START, STEP_SUCCESS, STEP_FAILURE, STEP_SKIPPED) and
# the step key, in the step's own thread, as the event happens: benchmarks measure each step.
StepObserver = Callable[[str, str], None]
STEP_EVENTS = ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED")

PROGRESS_LOGGER = "salesplan_progress"
# The process that executes a CLI run, so a later run can tell a run that was killed.
PID_TAG = "salesplan/pid"


class RunFailed(SalesplanError):
    """A job run failed; the message is what the failing step reported."""


@dataclass
class RunOutcome:
    """What one in-process run did."""

    job_name: str
    run_id: str
    seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)
    materializations: dict[str, Mapping[str, Any]] = field(default_factory=dict)


class _ProgressHandler(logging.Handler):
    """Turn Dagster's log records into one short line per step and per asset message."""

    def __init__(self, progress: Progress, observer: StepObserver | None = None) -> None:
        # Step events arrive as DEBUG records, so the handler takes every level and filters.
        super().__init__(level=logging.DEBUG)
        self._progress = progress
        self._observer = observer

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is not None:
            kind = event.event_type_value
            if self._observer is not None and kind in STEP_EVENTS:
                self._observer(kind, step)
            if kind == "STEP_START":
                self._progress(f"{step}: started")
            elif kind == "STEP_SUCCESS":
                self._progress(f"{step}: done")
            elif kind == "STEP_SKIPPED":
                self._progress(f"{step}: skipped (an upstream step or blocking check failed)")
            elif kind == "STEP_FAILURE":
                self._progress(f"{step}: FAILED")
            elif kind == "ASSET_CHECK_EVALUATION":
                evaluation = event.event_specific_data
                if not evaluation.passed:
                    self._progress(f"{step}: check {evaluation.check_name} did not pass")
            return
        if record.levelno >= logging.INFO:
            message = meta.get("orig_message") or record.getMessage()
            self._progress(f"{step}: {message}" if step else str(message))


def progress_logger_def(
    progress: Progress, observer: StepObserver | None = None
) -> dg.LoggerDefinition:
    """A Dagster logger that prints through ``progress`` and reports steps to ``observer``."""

    @dg.logger(description="Compact progress lines for the salesplan CLI.")
    def _progress_logger(_init_context: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.Logger(PROGRESS_LOGGER, level=logging.DEBUG)
        logger.addHandler(_ProgressHandler(progress, observer))
        return logger

    return _progress_logger


def execute_job(
    home: SalesplanHome,
    job_name: str,
    *,
    partition_range: tuple[str, str],
    progress: Progress,
    run_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    observer: StepObserver | None = None,
    asset_selection: Sequence[dg.AssetKey] | None = None,
) -> RunOutcome:
    """Execute ``job_name`` in this process for a range of as-of partitions.

    Args:
        home: the home folder (the caller has prepared its Dagster instance).
        job_name: a job of ``pipelines.definitions.defs``.
        partition_range: first and last partition keys (``YYYY-MM-01``), both included.
        progress: receives one line per step and per asset message.
        run_config: extra run config (merged with the progress logger's).
        tags: extra run tags.
        observer: told when each step starts and ends (``StepObserver``).
        asset_selection: only these assets of the job (and their checks); default all.

    Raises:
        RunFailed: naming the failed steps and their messages.
    """
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    from pipelines.definitions import defs
    from pipelines.lib.dagster_sqlite import relaxed_sqlite_sync, reused_event_log_engines

    job = defs.resolve_job_def(job_name).with_logger_defs(
        {"salesplan_progress": progress_logger_def(progress, observer)}
    )
    config = {**(run_config or {}), "loggers": {"salesplan_progress": {}}}
    first, last = partition_range
    own = {PID_TAG: str(os.getpid()), **(tags or {})}
    run_tags = {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last, **own}
    if first == last:
        run_tags = {"dagster/partition": first, **own}
    started = time.perf_counter()
    # Tools inside steps (dbt above all) write their own logs to stdout: keep them in a file
    # next to the run history and show only the progress lines.
    log_path = home.root / "logs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{job_name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        relaxed_sqlite_sync(),
        reused_event_log_engines(),
        dg.DagsterInstance.get() as instance,
        open(log_path, "a", encoding="utf-8") as log,
        contextlib.redirect_stdout(log),
    ):
        fail_abandoned_runs(instance)
        result = job.execute_in_process(
            run_config=config,
            instance=instance,
            tags=run_tags,
            raise_on_error=False,
            asset_selection=asset_selection,
        )
        step_stats = instance.get_run_step_stats(result.run_id)
    outcome = RunOutcome(job_name, result.run_id, time.perf_counter() - started)
    outcome.step_seconds = {
        stats.step_key: stats.end_time - stats.start_time
        for stats in step_stats
        if stats.start_time is not None and stats.end_time is not None
    }
    failures: list[str] = []
    for event in result.all_events:
        step = event.step_key or ""
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            description = getattr(event.step_failure_data.user_failure_data, "description", None)
            failures.append(f"{step}: {description or (error.message if error else 'failed')}")
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialization = event.step_materialization_data.materialization
            outcome.materializations[materialization.asset_key.to_user_string()] = {
                key: value.value for key, value in materialization.metadata.items()
            }
    if not result.success:
        detail = "\n  ".join(failures) or "see the run's event log in the Dagster UI"
        raise RunFailed(
            f"{job_name} failed (run {result.run_id}):\n  {detail}\n"
            f"Tool output (dbt, ...) of the run: {log_path}"
        )
    return outcome


def fail_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark CLI runs whose process no longer exists as failed; return their run ids.

    A re-plan killed by a crash or an OOM kill never reports its end, and the UI
    would show it in progress forever.
    """
    abandoned = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        pid = run.tags.get(PID_TAG)
        if pid is None or is_running(int(pid)):
            continue
        instance.report_run_failed(run, f"process {pid} ended without finishing the run (killed)")
        abandoned.append(run.run_id)
    return abandoned


def first_as_of_month(home: SalesplanHome) -> str:
    """The first as-of month the landed extracts support (the oldest extract month + 1)."""
    from salesplan.months import add_months, format_month, parse_month

    months = []
    for folder in home.extracts.iterdir() if home.extracts.is_dir() else []:
        try:
            months.append(parse_month(folder.name))
        except ValueError:
            continue
    if not months:
        raise RunFailed(
            f"no extract folders (YYYY-MM) in {home.extracts}; land extracts there first "
            "or run `salesplan generate`"
        )
    return format_month(add_months(min(months), 1))


def ingest(
    home: SalesplanHome,
    as_of: str,
    *,
    progress: Progress,
    wait_s: float = 0.0,
    observer: StepObserver | None = None,
    since: str | None = None,
) -> RunOutcome:
    """Load and check every extract month up to the one the as-of ``as_of`` re-plan consumes.

    ``since`` is the first as-of month whose extract (``since - 1``) is loaded; by default the
    oldest landed extract's.
    """
    from pipelines.instance import prepare_dagster_home
    from pipelines.partitions import partition_key_for
    from salesplan.locks import exclusive_lock

    prepare_dagster_home(home)
    first = first_as_of_month(home)
    if as_of < first:
        raise RunFailed(f"as-of {as_of} is before the first landed extract (as-of {first})")
    since = max(since or first, first)
    with exclusive_lock(
        home.root / "warehouse.lock", purpose=f"ingest as-of {as_of}", timeout_s=wait_s
    ):
        return execute_job(
            home,
            "ingest_job",
            partition_range=(partition_key_for(since), partition_key_for(as_of)),
            progress=progress,
            observer=observer,
        )


@dataclass
class ReplanOutcome:
    """What a re-plan produced and where to find it."""

    as_of_month: str
    home: SalesplanHome
    runs: list[RunOutcome]

    @property
    def seconds(self) -> float:
        """Wall time of the runs."""
        return sum(run.seconds for run in self.runs)

    def summary_lines(self) -> list[str]:
        """Lines the CLI prints at the end: where the outputs are."""
        published = self.home.published
        reports = self.home.reports / self.as_of_month
        lines = [
            f"re-plan as-of {self.as_of_month} done in {self.seconds:.1f} s",
            f"  BI tables (DuckDB, read-only): {published / 'salesplan.duckdb'}",
            f"  BI tables (Parquet):           {published / 'current'}/<table>/<YYYY-MM>.parquet",
        ]
        for report in sorted(reports.glob("*.html")):
            lines.append(f"  leadership report:             {report}")
        workbooks = reports / "managers"
        if workbooks.is_dir():
            lines.append(f"  manager workbooks (Excel):     {workbooks}/")
        lines.append(
            f"  Dagster UI: DAGSTER_HOME={self.home.dagster_home} dagster dev -w workspace.yaml"
        )
        return lines


def loaded_extract_months(home: SalesplanHome) -> set[str]:
    """Extract months the warehouse has a load record of (none before the first load)."""
    import duckdb

    if not home.warehouse.exists():
        return set()
    connection = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        exists = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = 'load_log'"
        ).fetchone()[0]
        if not exists:
            return set()
        rows = connection.execute("select distinct _extract_month from raw.load_log").fetchall()
    finally:
        connection.close()
    return {str(row[0])[:7] for row in rows}


def replan(
    home: SalesplanHome,
    as_of: str,
    *,
    progress: Progress,
    lang: str = "zh",
    wait_s: float = 0.0,
    observer: StepObserver | None = None,
    ingest: bool = True,
) -> ReplanOutcome:
    """Run the whole re-plan of as-of month ``as_of``.

    Extract months before ``as_of - 1`` that were never loaded are ingested first, in one run;
    then ``replan_job`` runs for the as-of partition (it ingests the month ``as_of - 1``).
    With ``ingest=False`` the run leaves the ingestion assets out, for a caller that has just
    loaded and checked every extract up to ``as_of - 1`` (:func:`backfill`); an extract month
    of them that is not loaded fails the re-plan before it starts.
    ``observer`` is told when each step of these runs starts and ends.
    """
    from pipelines.defs.dbt.project import ensure_manifest
    from pipelines.defs.replan.landing import extract_months
    from pipelines.instance import prepare_dagster_home
    from pipelines.partitions import partition_key_for
    from salesplan.locks import exclusive_lock
    from salesplan.months import add_months, format_month, parse_month

    prepare_dagster_home(home)
    ensure_manifest(progress)
    first = first_as_of_month(home)
    if as_of < first:
        raise RunFailed(f"as-of {as_of} is before the first landed extract (as-of {first})")
    previous_as_of = format_month(add_months(parse_month(as_of), -1))
    runs: list[RunOutcome] = []
    with exclusive_lock(
        home.root / "warehouse.lock", purpose=f"re-plan as-of {as_of}", timeout_s=wait_s
    ):
        loaded = loaded_extract_months(home)
        pending = [
            month
            for month in extract_months(home)
            if month not in loaded and format_month(add_months(parse_month(month), 1)) < as_of
        ]
        consumed = format_month(add_months(parse_month(as_of), -1))
        if not ingest and (pending or consumed not in loaded):
            missing = pending + ([] if consumed in loaded else [consumed])
            raise RunFailed(
                f"re-plan of {as_of} without ingestion: extract months {', '.join(missing)} "
                "are not loaded; ingest them first (salesplan ingest)"
            )
        if pending:
            progress(f"catching up: ingesting extract months {pending[0]} .. {pending[-1]}")
            runs.append(
                execute_job(
                    home,
                    "ingest_job",
                    partition_range=(
                        partition_key_for(format_month(add_months(parse_month(pending[0]), 1))),
                        partition_key_for(previous_as_of),
                    ),
                    progress=progress,
                    observer=observer,
                )
            )
        runs.append(
            execute_job(
                home,
                "replan_job",
                partition_range=(partition_key_for(as_of), partition_key_for(as_of)),
                progress=progress,
                run_config={"ops": {"leadership_report": {"config": {"lang": lang}}}},
                observer=observer,
                asset_selection=None if ingest else _assets_after_ingestion(),
            )
        )
    return ReplanOutcome(as_of, home, runs)


def _assets_after_ingestion() -> list[dg.AssetKey]:
    """``replan_job``'s assets without the ingestion assets (dbt, forecast, plan, publish...)."""
    from pipelines.definitions import defs
    from pipelines.defs.ingest.assets import INGEST_ASSETS

    ingestion = {asset.key for asset in INGEST_ASSETS}
    selected = defs.resolve_job_def("replan_job").asset_layer.selected_asset_keys
    return sorted(key for key in selected if key not in ingestion)


@dataclass
class BackfillOutcome:
    """What a backfill did: the one ingestion run, then every month's re-plan."""

    ingest: RunOutcome
    months: list[ReplanOutcome]


def backfill_ingest(
    home: SalesplanHome,
    months: Sequence[str],
    *,
    progress: Progress,
    wait_s: float = 0.0,
    observer: StepObserver | None = None,
) -> RunOutcome:
    """Load and check, in one run, every extract a backfill of ``months`` consumes.

    That is the extract before each of ``months`` (reloaded, as each month's own re-plan would)
    and every older landed extract that was never loaded.
    """
    from pipelines.defs.replan.landing import extract_months
    from pipelines.instance import prepare_dagster_home
    from salesplan.months import add_months, format_month, parse_month

    prepare_dagster_home(home)
    loaded = loaded_extract_months(home)
    never_loaded = [month for month in extract_months(home) if month not in loaded]
    since = min([months[0], *(format_month(add_months(parse_month(m), 1)) for m in never_loaded)])
    progress(f"backfill: loading the extracts of as-of {since} .. {months[-1]} in one run")
    return ingest(
        home, months[-1], progress=progress, wait_s=wait_s, observer=observer, since=since
    )


# Starting the forecast workers costs about what two or three months of the demo's 192 series
# save by fitting on both cores (5-12 s against ~3 s a month on the 2-core machine).
KEEP_FORECAST_WORKERS_FROM_MONTHS = 4


@contextlib.contextmanager
def kept_forecast_workers(months: int) -> Iterator[None]:
    """Keep the forecast worker processes from one run to the next within the block.

    A backfill's months run one after another in this process: from
    ``KEEP_FORECAST_WORKERS_FROM_MONTHS`` months on, their forecasts fit the series on workers
    started once, at the first month (``forecasts.keep_worker_pool``).
    """
    if months < KEEP_FORECAST_WORKERS_FROM_MONTHS:
        yield
        return
    import forecasts
    from pipelines.defs.forecasts.assets import ForecastRunConfig

    with forecasts.keep_worker_pool(ForecastRunConfig().n_jobs):
        yield


# A dbt fork server saves each month's build the ~2.5 s of CPU a new dbt process spends
# importing dbt; starting it costs about that once, while the extracts load.
KEEP_DBT_PROCESS_FROM_MONTHS = 2


@contextlib.contextmanager
def kept_dbt_process(months: int) -> Iterator[bool]:
    """Start the dbt builds of the block from one process that has imported dbt.

    From ``KEEP_DBT_PROCESS_FROM_MONTHS`` months on, where the platform allows it
    (``fork_server.dbt_fork_server``); yields whether it does.
    """
    from pipelines.defs.dbt import fork_server

    if months < KEEP_DBT_PROCESS_FROM_MONTHS or not fork_server.supported():
        yield False
        return
    from pipelines.defs.dbt.resources import dbt_resource

    with fork_server.dbt_fork_server(dbt_resource.dbt_executable):
        yield True


def backfill(
    home: SalesplanHome,
    months: Sequence[str],
    *,
    progress: Progress,
    lang: str = "zh",
    wait_s: float = 0.0,
) -> BackfillOutcome:
    """Re-plan ``months`` (oldest first), loading the extracts they consume first, in one run.

    Each month's build reads only extracts from before its as-of month (the staging rule), so
    loading the later ones first changes nothing in it. What it saves is the ingestion run's
    fixed costs (15 assets, their GX suites and checks), paid once instead of every month.
    """
    outcomes = []
    with kept_dbt_process(len(months)) as kept:
        if kept:
            progress("backfill: dbt builds start from one process that imports dbt once")
        loaded = backfill_ingest(home, months, progress=progress, wait_s=wait_s)
        with kept_forecast_workers(len(months)):
            for index, month in enumerate(months, start=1):
                progress(f"backfill {index}/{len(months)}: as-of {month}")
                outcomes.append(
                    replan(home, month, progress=progress, lang=lang, wait_s=wait_s, ingest=False)
                )
    return BackfillOutcome(loaded, outcomes)
