"""Atomic, idempotent loads of one entity's extract months into the raw layer.

``load_entity`` reads every file of the entity's profiles for the given extract months in
bounded chunks, maps and types the rows, validates them with the entity's GX suite, stages
them in a temporary table, runs the checks that need the whole batch or the warehouse
(keys across files, references, files re-used from another month) and then, in the same
transaction, replaces exactly that entity's rows of those months. Loading the same extracts
twice leaves identical tables; any failure rolls back and leaves the warehouse as it was.

Rows that break a warning rule are written to ``raw.quarantine`` with the rule and reason
instead of ``raw.<entity>``; the count is reported.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from expectations import (
    FailedRow,
    RuleOutcome,
    Severity,
    reference_rules,
    suite_for,
    validate_frame,
)
from expectations.rules import DEFAULT_MIN_CLEAN_SHARE
from ingestion import readers, warehouse
from ingestion.errors import MAX_LISTED_PROBLEMS, IngestionError, Problem
from ingestion.mapping import empty_frame, map_chunk, source_columns
from ingestion.profiles import SourceProfile, discover_profiles
from ingestion.sources import SourceFile, extract_files
from salesplan.entities import ENTITIES, Entity
from salesplan.home import SalesplanHome
from salesplan.months import format_month, parse_month

# Rows validated per GX call: GX costs about 8 ms per rule and call plus about 1.5 µs per row
# (15 rules, activities), so 250,000 rows make the fixed part small, while a chunk of the
# widest entity stays under about 150 MB with its text in Arrow.
DEFAULT_CHUNK_ROWS = 250_000

# DuckDB may otherwise cache up to 80% of RAM; the staged batch lives in a scratch database
# file (warehouse.staging), so 512 MB is plenty: 7.7 million activities stage and load in
# about 0.7 GB of process memory in all.
DUCKDB_MEMORY_LIMIT = "512MB"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LoadedFile:
    """One file of a load, as recorded in ``raw.load_log``."""

    extract_month: str
    source_file: str
    profile: str
    sha256: str
    file_bytes: int
    row_count: int
    loaded_rows: int
    quarantined_rows: int


@dataclass
class EntityLoad:
    """What a load of one entity did.

    Attributes:
        entity: the entity name.
        extract_months: the extract months replaced, oldest first (``YYYY-MM``).
        files: every file read.
        rows_read: data rows in the files.
        rows_loaded: rows written to ``raw.<entity>``.
        rows_quarantined: rows written to ``raw.quarantine`` instead.
        outcomes: one outcome per rule (GX suite and warehouse checks).
        seconds: wall time per step: ``read`` (files to typed frames), ``validate`` (the GX
            suite), ``checks`` (keys across files, references, re-used files, in the
            warehouse) and ``warehouse`` (staging and the final replace).
    """

    entity: str
    extract_months: list[str]
    files: list[LoadedFile] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    outcomes: list[RuleOutcome] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def summary(self) -> str:
        """One line for progress output."""
        months = (
            self.extract_months[0]
            if len(self.extract_months) == 1
            else f"{self.extract_months[0]}..{self.extract_months[-1]}"
        )
        return (
            f"{self.entity} {months}: {self.rows_loaded:,} rows loaded, "
            f"{self.rows_quarantined:,} quarantined, from {len(self.files)} file(s)"
        )


class LoadRefused(IngestionError):
    """A blocking rule failed; nothing was written.

    Attributes:
        outcomes: every rule's result so far (for the Dagster checks).
        rules: names of the rules that block.
    """

    def __init__(
        self,
        summary: str,
        problems: Sequence[Problem],
        hint: str | None,
        total: int | None,
        outcomes: Sequence[RuleOutcome],
    ) -> None:
        self.outcomes = list(outcomes)
        self.rules = [outcome.rule for outcome in outcomes if outcome.blocks]
        super().__init__(summary, problems, hint, total)


def load_entity(
    connection: duckdb.DuckDBPyConnection,
    home: SalesplanHome,
    entity_name: str,
    months: Sequence[str],
    *,
    profiles: Sequence[SourceProfile] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    min_clean_share: float = DEFAULT_MIN_CLEAN_SHARE,
    progress: Progress | None = None,
) -> EntityLoad:
    """Load the extract months ``months`` of one entity, atomically.

    Args:
        connection: an open read-write connection to the warehouse (no open transaction).
        home: the home folder (profiles and extracts).
        entity_name: a canonical entity.
        months: extract months ``YYYY-MM``; loaded together, oldest first.
        profiles: every source profile (default: those in ``landing/profiles``).
        chunk_rows: rows per validation chunk; bounds memory.
        min_clean_share: share of rows each warning rule must pass before it blocks.
        progress: receives one line per file and per step.

    Returns:
        What was loaded.

    Raises:
        ProfileError: for an invalid profile (before any data is read).
        IngestionError: for a file that cannot be read, mapped or typed.
        LoadRefused: when a blocking rule failed.
    """
    table = ENTITIES[entity_name]
    ordered = sorted({format_month(parse_month(month)) for month in months})
    every_profile = list(profiles) if profiles is not None else discover_profiles(home.profiles)
    own = [profile for profile in every_profile if profile.entity.name == table.name]
    if not own and not table.optional:
        raise IngestionError(
            f"no source profile for entity {table.name} in {home.profiles}",
            hint=f"add a profile (profiles/<name>.yml with `entity: {table.name}`) that "
            "describes the export; see ingestion/README.md",
        )
    files = [
        source
        for month in ordered
        for source in extract_files(home, every_profile, month, table.name)
    ]
    report = EntityLoad(table.name, ordered)
    notify = progress or (lambda _message: None)
    batch = _Batch(connection, table, chunk_rows, min_clean_share, report)
    connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    months_as_dates = [parse_month(m) for m in ordered]
    with warehouse.staging(connection, table):
        for source in files:
            report.files.append(batch.read(source))
            notify(f"{table.name}: read {source.display} ({report.files[-1].row_count:,} rows)")
        batch.flush()
        batch.check_warehouse(months_as_dates)
        started = time.perf_counter()
        load_log = batch.load_log()
        connection.execute("BEGIN TRANSACTION")
        try:
            warehouse.ensure_raw_schema(connection)
            report.rows_loaded = warehouse.replace_months(
                connection, table, months_as_dates, load_log
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        report.seconds["warehouse"] += time.perf_counter() - started
    report.files = [LoadedFile(**record) for record in _load_log_records(load_log, report.files)]
    report.rows_quarantined = sum(f.quarantined_rows for f in report.files)
    notify(report.summary())
    return report


def load_order(entity_names: Iterable[str] | None = None) -> list[str]:
    """Return entities so that every entity comes after the entities it references."""
    wanted = list(entity_names) if entity_names is not None else list(ENTITIES)
    done: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name not in wanted:
            return
        for rule in reference_rules(name):
            if rule.target_entity != name and rule.target_entity not in path:
                visit(rule.target_entity, (*path, name))
        done.append(name)

    for name in wanted:
        visit(name, ())
    return done


def ingest(
    home: SalesplanHome,
    months: Sequence[str],
    *,
    entities: Sequence[str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    min_clean_share: float = DEFAULT_MIN_CLEAN_SHARE,
    progress: Progress | None = None,
) -> list[EntityLoad]:
    """Load extract months into the warehouse of ``home``, every entity in reference order.

    Each entity is loaded in its own transaction: when one fails, the entities before it
    stay loaded and the error says which file, row, column and value stopped it.

    Args:
        home: the home folder.
        months: extract months ``YYYY-MM``.
        entities: only these entities (default: all).
        chunk_rows: rows per validation chunk.
        min_clean_share: share of rows each warning rule must pass before it blocks.
        progress: receives progress lines.
    """
    profiles = discover_profiles(home.profiles)
    home.root.mkdir(parents=True, exist_ok=True)
    created = not home.warehouse.exists()
    loads: list[EntityLoad] = []
    try:
        with duckdb.connect(str(home.warehouse)) as connection:
            for name in load_order(entities):
                loads.append(
                    load_entity(
                        connection,
                        home,
                        name,
                        months,
                        profiles=profiles,
                        chunk_rows=chunk_rows,
                        min_clean_share=min_clean_share,
                        progress=progress,
                    )
                )
    except BaseException:
        if created and not loads:
            # Opening created the file; a first load that failed leaves no warehouse behind.
            for path in (home.warehouse, home.warehouse.with_name(home.warehouse.name + ".wal")):
                path.unlink(missing_ok=True)
        raise
    return loads


class _Batch:
    """The rows of one load on their way from files to the staging table."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        table: Entity,
        chunk_rows: int,
        min_clean_share: float,
        report: EntityLoad,
    ) -> None:
        self.connection = connection
        self.table = table
        self.chunk_rows = chunk_rows
        self.min_clean_share = min_clean_share
        self.report = report
        self.pending: list[pd.DataFrame] = []
        self.pending_rows = 0
        self.chunks_validated = 0
        self.outcomes: dict[str, RuleOutcome] = {}
        self.sources: dict[str, SourceFile] = {}

    # ------------------------------------------------------------------ reading
    def read(self, source: SourceFile) -> LoadedFile:
        started = time.perf_counter()
        self.sources[source.display] = source
        sha = readers.sha256_of(source.path)
        rows = 0
        try:
            header, chunks = readers.read_chunks(
                source.path, source.profile, source.display, self.chunk_rows
            )
            provided = source_columns(header, source.profile, source.display)
            extract_month = parse_month(source.month)
            for chunk in chunks:
                frame = map_chunk(chunk, source.profile, provided, source.display, extract_month)
                rows += len(frame)
                self.report.seconds["read"] += time.perf_counter() - started
                self._add(frame)
                started = time.perf_counter()
        except IngestionError as error:
            raise _with_lines(error, self.sources) from None
        self.report.seconds["read"] += time.perf_counter() - started
        self.report.rows_read += rows
        return LoadedFile(
            extract_month=source.month,
            source_file=source.display,
            profile=source.profile.name,
            sha256=sha,
            file_bytes=source.path.stat().st_size,
            row_count=rows,
            loaded_rows=0,
            quarantined_rows=0,
        )

    def _add(self, frame: pd.DataFrame) -> None:
        self.pending.append(frame)
        self.pending_rows += len(frame)
        if self.pending_rows >= self.chunk_rows:
            self.flush()

    # ------------------------------------------------------------------ validation
    def flush(self) -> None:
        if not self.pending and self.chunks_validated:
            return
        frames = self.pending or [empty_frame(self.table)]
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        self.pending, self.pending_rows = [], 0
        started = time.perf_counter()
        outcomes = validate_frame(
            suite_for(self.table.name), frame, min_clean_share=self.min_clean_share
        )
        self.report.seconds["validate"] += time.perf_counter() - started
        self.chunks_validated += 1
        for outcome in outcomes:
            self._absorb(outcome)
        if any(outcome.blocks for outcome in outcomes):
            raise self._refusal()
        started = time.perf_counter()
        frame = self._quarantine(frame, [o for o in outcomes if o.failures and not o.blocks])
        warehouse.stage_rows(self.connection, self.table, frame)
        self.report.seconds["warehouse"] += time.perf_counter() - started

    def _absorb(self, outcome: RuleOutcome) -> None:
        if outcome.rule in self.outcomes:
            self.outcomes[outcome.rule].absorb(outcome)
        else:
            self.outcomes[outcome.rule] = outcome
        self.report.outcomes = list(self.outcomes.values())

    def _quarantine(self, frame: pd.DataFrame, outcomes: list[RuleOutcome]) -> pd.DataFrame:
        """Stage the failing rows of warning rules as quarantine records; return the rest."""
        failures = [(outcome, failure) for outcome in outcomes for failure in outcome.failures]
        if not failures:
            return frame
        position = pd.Series(
            np.arange(len(frame)),
            index=pd.MultiIndex.from_arrays([frame["_source_file"], frame["_source_row"]]),
        )
        wanted = pd.MultiIndex.from_tuples([(f.file, f.row) for _, f in failures])
        positions = position.reindex(wanted).to_numpy()
        rows = frame.iloc[positions]
        records = rows[list(self.table.column_names)].to_json(
            orient="records", lines=True, date_format="iso", force_ascii=False
        )
        quarantine = pd.DataFrame(
            {
                "entity": self.table.name,
                "_extract_month": rows["_extract_month"].to_numpy(),
                "_source_file": [f.file for _, f in failures],
                "_source_row": [f.row for _, f in failures],
                "column_name": [f.column for _, f in failures],
                "value": [_text(f.value) for _, f in failures],
                "rule": [o.rule for o, _ in failures],
                "reason": [f"{o.description} {o.hint}".strip() for o, _ in failures],
                "record": records.splitlines(),
            }
        )
        warehouse.stage_quarantine(self.connection, quarantine)
        keep = np.ones(len(frame), dtype=bool)
        keep[positions] = False
        return frame[keep]

    def _refusal(self) -> LoadRefused:
        blocking = [outcome for outcome in self.outcomes.values() if outcome.blocks]
        problems: list[Problem] = []
        total = 0
        for outcome in blocking:
            total += max(outcome.failed, 1)
            if outcome.error:
                problems.append(
                    Problem(self.table.name, f"rule {outcome.rule} errored: {outcome.error}")
                )
            elif outcome.observed is not None:
                problems.append(
                    Problem(
                        self.table.name,
                        f"breaks rule {outcome.rule}: {outcome.description} "
                        f"Observed: {outcome.observed}",
                        column=outcome.column,
                    )
                )
            for failure in outcome.failures[:MAX_LISTED_PROBLEMS]:
                message = f"breaks rule {outcome.rule}: {outcome.description}"
                if not outcome.success and outcome.severity is Severity.WARNING:
                    message += (
                        f" ({outcome.failed:,} of {outcome.evaluated:,} rows fail it: more "
                        f"than the {1 - self.min_clean_share:.0%} a warning rule may "
                        "quarantine)"
                    )
                problems.append(
                    Problem(
                        failure.file,
                        message,
                        row=failure.row or None,
                        column=failure.column,
                        value=failure.value,
                    )
                )
        hints = "; ".join(dict.fromkeys(o.hint for o in blocking if o.hint))
        rules = ", ".join(o.rule for o in blocking)
        error = LoadRefused(
            f"{self.table.name}: blocking rule(s) failed ({rules}); nothing was written",
            problems,
            hints or None,
            total,
            list(self.outcomes.values()),
        )
        return _with_lines(error, self.sources)  # type: ignore[return-value]

    # ------------------------------------------------------------------ batch-wide checks
    def check_warehouse(self, months: list[dt.date]) -> None:
        started = time.perf_counter()
        if self.chunks_validated > 1:
            duplicates = warehouse.duplicate_keys(self.connection, self.table)
            outcome = self.outcomes["key_unique"]
            outcome.failed += duplicates.total
            outcome.failures += _failed_rows(duplicates.problems)
            if duplicates.total:
                raise self._refusal()
        for rule in reference_rules(self.table.name):
            orphans = warehouse.check_reference(self.connection, rule, months)
            target = ENTITIES[rule.target_entity]
            outcome = RuleOutcome(
                rule=rule.rule,
                severity=rule.severity,
                description=f"{rule.column} exists in {target.table}.{rule.target_column} "
                "(loaded from this or an earlier extract month).",
                hint=f"load the {rule.target_entity} extract that holds these values first "
                f"(check its profile's pattern), or fix {rule.column} in the export",
                expectation="sql",
                column=rule.column,
                evaluated=self.report.rows_read,
                failed=orphans.total,
                failures=_failed_rows(orphans.problems),
            )
            self._absorb(outcome)
        reused = warehouse.reused_files(
            self.connection,
            self.table.name,
            [
                (f.extract_month, f.source_file, f.sha256)
                for f in self.report.files
                if f.row_count and self.table.event_column
            ],
        )
        self._absorb(
            RuleOutcome(
                rule="file_matches_extract_month",
                severity=Severity.BLOCKING,
                description="A file is loaded as one extract month only.",
                hint="each extracts/<YYYY-MM>/ folder must hold the files of its own month: "
                "remove the copy from the wrong folder",
                expectation="sql",
                evaluated=len(self.report.files),
                failed=len(reused),
                failures=[FailedRow(p.file, 0, None, p.message) for p in reused],
            )
        )
        self.report.seconds["checks"] += time.perf_counter() - started
        if any(outcome.blocks for outcome in self.outcomes.values()):
            raise self._refusal()

    def load_log(self) -> pd.DataFrame:
        staged = dict(
            self.connection.execute(
                f"SELECT _source_file, count(*) FROM {warehouse.STAGED} GROUP BY 1"
            ).fetchall()
        )
        quarantined = dict(
            self.connection.execute(
                f"SELECT _source_file, count(DISTINCT _source_row) "
                f"FROM {warehouse.STAGED_QUARANTINE} GROUP BY 1"
            ).fetchall()
        )
        return pd.DataFrame.from_records(
            [
                {
                    "entity": self.table.name,
                    "_extract_month": parse_month(f.extract_month),
                    "source_file": f.source_file,
                    "profile": f.profile,
                    "sha256": f.sha256,
                    "file_bytes": f.file_bytes,
                    "row_count": f.row_count,
                    "loaded_rows": int(staged.get(f.source_file, 0)),
                    "quarantined_rows": int(quarantined.get(f.source_file, 0)),
                }
                for f in self.report.files
            ],
            columns=[name for name, _ in warehouse.LOAD_LOG_DDL],
        )


def _load_log_records(load_log: pd.DataFrame, files: list[LoadedFile]) -> list[dict[str, object]]:
    by_file = {row.source_file: row for row in load_log.itertuples(index=False)}
    return [
        {
            "extract_month": f.extract_month,
            "source_file": f.source_file,
            "profile": f.profile,
            "sha256": f.sha256,
            "file_bytes": f.file_bytes,
            "row_count": f.row_count,
            "loaded_rows": int(by_file[f.source_file].loaded_rows),
            "quarantined_rows": int(by_file[f.source_file].quarantined_rows),
        }
        for f in files
    ]


def _failed_rows(problems: Sequence[Problem]) -> list[FailedRow]:
    return [FailedRow(p.file, p.row or 0, p.column, p.value) for p in problems]


def _with_lines(error: IngestionError, sources: dict[str, SourceFile]) -> IngestionError:
    """Add physical line numbers to the problems of CSV files (error path only)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for problem in error.problems:
        source = sources.get(problem.file)
        if source and source.profile.format == "csv" and problem.row and not problem.line:
            wanted[problem.file].add(problem.row)
    if not wanted:
        return error
    lines = {
        display: readers.csv_lines_of_rows(sources[display].path, sources[display].profile, rows)
        for display, rows in wanted.items()
    }
    problems = [
        Problem(
            p.file,
            p.message,
            p.row,
            lines.get(p.file, {}).get(p.row, p.line) if p.row else p.line,
            p.column,
            p.source_column,
            p.value,
        )
        for p in error.problems
    ]
    error.problems = tuple(problems)
    return error


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dict):
        return json.dumps({k: _json_value(v) for k, v in value.items()}, ensure_ascii=False)
    return str(value)


def _json_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value
