"""Atomic publication of the BI tables.

BI tools read ``$SALESPLAN_HOME/published``, never the working warehouse (DuckDB lets no other
process open a file while a writer holds it). A publication is a complete, immutable snapshot
folder; the only thing that changes in place is one symlink::

    published/
      current -> snapshots/000042          the single atomic switch (rename of a symlink)
      salesplan.duckdb -> current/salesplan.duckdb
      snapshots/000042/
        salesplan.duckdb                   serving file: every published table, every version
        <table>/<YYYY-MM>.parquet          one file per as-of month (and per scenario)
        _publication.json                  what this snapshot holds: versions, row counts

A reader that opens ``published/salesplan.duckdb`` (read-only) or resolves ``published/current``
once sees one whole snapshot: the previous one or the new one, never a mix, and never a lock
error, because no process ever writes a file after it has been published. Files of as-of months
other than the one being published are hard-linked from the previous snapshot, so its Parquet
files cost the size of one month, and replaying a month rewrites only that month's files, which
are byte-identical when the inputs are (rows sorted, no wall-clock values). The serving file is
a whole copy holding every version, so of the earlier snapshots kept for readers still going
through them, only the one just replaced keeps it, until the next publication starts building.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from salesplan.errors import SalesplanError
from salesplan.months import format_month

SNAPSHOTS = "snapshots"
CURRENT = "current"
SERVING_FILE = "salesplan.duckdb"
MANIFEST_FILE = "_publication.json"
# Snapshots kept besides the current one, so a reader that resolved `current` just before a
# switch can finish reading; older ones are deleted.
SNAPSHOTS_KEPT = 3
# Of those, only the newest keeps its serving file (until the next publication starts to build
# its own); the others keep their Parquet files, which are hard links of the current ones and
# cost next to nothing. A serving file holds every version, so each is a full copy: 1.07 to
# 1.41 GB per version at the xlarge demo (measured over eight versions), and four of them after
# a year of monthly versions would take ~60 GB. A reader that opened an older serving file
# before it was deleted still reads it to the end (the file lives on until it is closed).
SERVING_FILES_KEPT = 1
_STAGING_PREFIX = ".staging-"
OFFICIAL = "official"


@dataclass(frozen=True)
class PublishedTable:
    """One table of the BI contract and where its rows come from in the warehouse.

    Attributes:
        name: the published table name.
        source: the warehouse relation holding the rows.
        current_only: the source holds one as-of version only (dbt rebuilds the marts for the
            month being re-planned); publishing checks it is the month being published.
        by_scenario: rows carry a ``scenario`` column and are published one file per scenario.
    """

    name: str
    source: str
    current_only: bool = False
    by_scenario: bool = False


@dataclass(frozen=True)
class Publication:
    """What one call to :func:`publish` produced."""

    snapshot: Path
    as_of_month: str
    row_counts: dict[str, int]

    @property
    def serving_file(self) -> Path:
        """The serving DuckDB file of this snapshot."""
        return self.snapshot / SERVING_FILE


SchemaCheck = Callable[[str, list[tuple[str, str]]], None]


def publish(
    warehouse: duckdb.DuckDBPyConnection,
    published_root: Path,
    as_of: dt.date,
    tables: Sequence[PublishedTable],
    check_schema: SchemaCheck | None = None,
) -> Publication:
    """Publish the as-of version of ``tables`` as a new snapshot and switch readers to it.

    Args:
        warehouse: an open connection to the working warehouse.
        published_root: the ``published/`` folder.
        as_of: the as-of month being published (its first day).
        tables: the tables of the BI contract.
        check_schema: called with each table's name and ``(column, type)`` list before
            anything is switched; raising stops the publication (the previous one stays).

    Returns:
        The new snapshot and the row counts of this month's version of every table.
    """
    month = format_month(as_of)
    snapshots = published_root / SNAPSHOTS
    snapshots.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(snapshots)
    previous = _current_snapshot(published_root)
    if previous is not None:
        # Only the current snapshot's serving file is needed to build the next one, and the one
        # before it has had a whole publication's time for its readers. Removing it now, not
        # after the switch, keeps two copies on disk at the peak instead of three, and keeps
        # it out of the way of DuckDB's spill while this month's files are sorted (~7 GB at
        # xlarge).
        _prune(snapshots, keep=previous, serving_files_kept=0)
    staging = snapshots / f"{_STAGING_PREFIX}{os.getpid()}"
    staging.mkdir()
    snapshot = snapshots / _next_snapshot_name(snapshots)
    try:
        row_counts: dict[str, int] = {}
        for table in tables:
            folder = staging / table.name
            folder.mkdir()
            if previous is not None:
                _link_other_months(previous / table.name, folder, month)
            row_counts[table.name] = _export_month(warehouse, table, as_of, folder)
            if check_schema is not None:
                check_schema(table.name, _schema(warehouse, folder, format_month(as_of)))

        manifest = _write_manifest(staging, snapshot.name, month, tables, row_counts)
        memory_limit = warehouse.execute("select current_setting('memory_limit')").fetchall()
        _build_serving_file(staging, tables, manifest, previous, as_of, memory_limit[0][0])
        staging.rename(snapshot)
    except BaseException:
        # Nothing was switched; what was staged goes now, not at the next publication: after a
        # full disk, a partial copy of the serving file would otherwise keep the disk full.
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_dir(snapshots)
    _switch_current(published_root, snapshot)
    _ensure_serving_link(published_root)
    _prune(snapshots, keep=snapshot)
    return Publication(snapshot=snapshot, as_of_month=month, row_counts=row_counts)


def current_snapshot(published_root: Path) -> Path | None:
    """Return the snapshot readers currently see, or None before the first publication."""
    return _current_snapshot(published_root)


def _export_month(
    warehouse: duckdb.DuckDBPyConnection, table: PublishedTable, as_of: dt.date, folder: Path
) -> int:
    month = format_month(as_of)
    # Every source carries as_of_month; a version is the rows of one as-of month.
    relation = f"select * from {table.source} where as_of_month = $as_of"
    if table.current_only:
        _check_current(warehouse, table, as_of)
    scenarios: Iterable[str | None] = [None]
    if table.by_scenario:
        scenarios = [
            row[0]
            for row in warehouse.execute(
                f"select distinct scenario from ({relation}) order by 1", {"as_of": as_of}
            ).fetchall()
        ] or [OFFICIAL]  # no rows yet (e.g. no changes in a first version): an empty file
        # keeps the table and its schema in the publication
        for stale in folder.glob(f"{month}--*.parquet"):
            stale.unlink()
    total = 0
    for scenario in scenarios:
        query = relation
        target = folder / f"{month}.parquet"
        parameters: dict[str, object] = {"as_of": as_of}
        if scenario is not None:
            query = f"select * from ({relation}) where scenario = $scenario"
            target = folder / f"{month}--{scenario}.parquet"
            parameters["scenario"] = scenario
        # ORDER BY ALL gives one total order, so the same rows always make the same bytes.
        warehouse.execute(
            f"copy ({query} order by all) to '{_sql_path(target)}' "
            "(format parquet, compression zstd)",
            parameters,
        )
        # fetchall, not fetchone: an unfinished result keeps the caller's connection busy.
        total += warehouse.execute(
            f"select count(*) from read_parquet('{_sql_path(target)}')"
        ).fetchall()[0][0]
    return total


class StaleSourceError(SalesplanError):
    """A current-only source (a dbt mart) was built for another as-of month."""


class InsufficientSpace(SalesplanError):
    """Too little free disk to build the next serving file; nothing was published."""


def _check_current(
    warehouse: duckdb.DuckDBPyConnection, table: PublishedTable, as_of: dt.date
) -> None:
    built = [
        row[0]
        for row in warehouse.execute(
            f"select distinct as_of_month from {table.source} order by 1"
        ).fetchall()
    ]
    if built and built != [as_of]:
        raise StaleSourceError(
            f"{table.source} holds as-of {', '.join(format_month(m) for m in built)}, not "
            f"{format_month(as_of)}: rebuild it for {format_month(as_of)} (dbt) before "
            "publishing; nothing was published"
        )


def _schema(
    warehouse: duckdb.DuckDBPyConnection, folder: Path, month: str
) -> list[tuple[str, str]]:
    """The columns of the month's file(s) of one table, as DuckDB types."""
    file = sorted(folder.glob(f"{month}*.parquet"))[0]
    rows = warehouse.execute(f"describe select * from read_parquet('{_sql_path(file)}')").fetchall()
    return [(row[0], row[1]) for row in rows]


def _link_other_months(previous: Path, folder: Path, month: str) -> None:
    if not previous.is_dir():
        return
    for file in previous.glob("*.parquet"):
        if file.name == f"{month}.parquet" or file.name.startswith(f"{month}--"):
            continue
        os.link(file, folder / file.name)


def _build_serving_file(
    staging: Path,
    tables: Sequence[PublishedTable],
    manifest: dict[str, object],
    previous: Path | None,
    as_of: dt.date,
    memory_limit: str,
) -> None:
    """Write the staging snapshot's serving file: every table, every version.

    The file is built within the warehouse connection's ``memory_limit`` (DuckDB's default
    is 80% of the machine; sorting the xlarge demo's 40M plan rows would take it), spilling
    beyond it.

    With a previous snapshot, its serving file is copied and only the as-of month's rows are
    replaced: the other versions are the same hard-linked Parquet files it was built from.
    Rebuilding every table from all its files instead made each publication of a backfill
    slower than the one before (month 12 re-read and re-sorted twelve versions).
    """
    target = staging / SERVING_FILE
    base = previous / SERVING_FILE if previous is not None else None
    incremental = base is not None and base.is_file()
    if incremental:
        _check_free_space(base, staging, manifest, format_month(as_of))  # type: ignore[arg-type]
        shutil.copyfile(base, target)  # type: ignore[arg-type]
    serving = duckdb.connect(str(target), config={"memory_limit": memory_limit})
    try:
        existing = {
            row[0]
            for row in serving.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        # One row per table: lets a reader check that what it reads is one whole publication.
        serving.execute(
            "create or replace table _publication (snapshot varchar, "
            "published_as_of_month varchar, table_name varchar, versions varchar[], "
            "total_rows bigint)"
        )
        for table in tables:
            files = sorted((staging / table.name).glob("*.parquet"))
            if table.name in existing and incremental:
                total = _replace_month(serving, table.name, files, as_of)
            else:
                total = _create_table(serving, table.name, files)
            versions = manifest["tables"][table.name]["versions"]  # type: ignore[index]
            serving.execute(
                "insert into _publication values (?, ?, ?, ?, ?)",
                [
                    manifest["snapshot"],
                    manifest["published_as_of_month"],
                    table.name,
                    versions,
                    total,
                ],
            )
        serving.execute("checkpoint")
    finally:
        serving.close()


def _check_free_space(base: Path, staging: Path, manifest: dict[str, object], month: str) -> None:
    """Refuse to start the serving file when the disk cannot hold it.

    The new file is a copy of ``base`` plus this month's rows: one version, counted as the
    average of the others ``base`` holds, and as much again for a version bigger than the
    average. Measured at ``xlarge`` (as-of 2026-03): a 4.88 GB copy holding four versions
    (1.22 GB each) grew by 1.41 GB, to 6.29 GB; the check asked for 7.31 GB. A disk that fills
    up half-way fails later, with DuckDB's less helpful message, after minutes of copying.
    """
    tables = manifest["tables"].values()  # type: ignore[attr-defined]
    others = {version for entry in tables for version in entry["versions"]} - {month}
    size = base.stat().st_size
    needed = size + 2 * size // max(len(others), 1)
    free = _free_bytes(staging)
    if free < needed:
        raise InsufficientSpace(
            f"publishing as-of {month} needs about {_gigabytes(needed)} free in {staging.parent} "
            f"(a copy of the current serving file {base}, {_gigabytes(size)}, and this "
            f"version's rows); {_gigabytes(free)} is free. The published tables stay as they "
            f"were ({base.parent.name}). Free some space or move the home folder to a bigger "
            "disk, then re-plan the month again."
        )


def _free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _gigabytes(size: int) -> str:
    return f"{size / 1e9:.2f} GB"


def _create_table(serving: duckdb.DuckDBPyConnection, name: str, files: Sequence[Path]) -> int:
    """Create ``name`` from all its Parquet files (none: no table); return its rows."""
    serving.execute(f"drop table if exists {name}")
    if not files:
        return 0
    serving.execute(
        f"create table {name} as select * from read_parquet({_sql_list(files)}) order by all"
    )
    return int(serving.execute(f"select count(*) from {name}").fetchall()[0][0])


def _replace_month(
    serving: duckdb.DuckDBPyConnection, name: str, files: Sequence[Path], as_of: dt.date
) -> int:
    """Replace the as-of month's rows of ``name`` (copied from the previous snapshot)."""
    month = format_month(as_of)
    own = [file for file in files if file.stem.split("--")[0] == month]
    serving.execute(f"delete from {name} where as_of_month = ?", [as_of])
    if own:
        # Each file is already in one total order (_export_month), and the serving file's row
        # order is no contract (readers sort): sorting again cost 1/3 of this step at large.
        serving.execute(f"insert into {name} select * from read_parquet({_sql_list(own)})")
    total = int(serving.execute(f"select count(*) from {name}").fetchall()[0][0])
    # The copy must hold exactly what the snapshot's files hold (Parquet footers give the
    # count without reading the data); anything else is rebuilt from the files.
    expected = 0
    if files:
        query = f"select count(*) from read_parquet({_sql_list(files)})"
        expected = int(serving.execute(query).fetchall()[0][0])
    if total != expected:
        return _create_table(serving, name, files)
    return total


def _sql_list(files: Sequence[Path]) -> str:
    return "[" + ", ".join(f"'{_sql_path(file)}'" for file in files) + "]"


def _write_manifest(
    staging: Path,
    snapshot: str,
    month: str,
    tables: Sequence[PublishedTable],
    row_counts: dict[str, int],
) -> dict[str, object]:
    manifest: dict[str, object] = {
        "snapshot": snapshot,
        "published_as_of_month": month,
        "tables": {
            table.name: {
                "versions": sorted(
                    {file.stem.split("--")[0] for file in (staging / table.name).glob("*.parquet")}
                ),
                "rows_this_version": row_counts[table.name],
            }
            for table in tables
        },
    }
    (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def _current_snapshot(published_root: Path) -> Path | None:
    link = published_root / CURRENT
    if not link.is_symlink():
        return None
    return (published_root / os.readlink(link)).resolve()


def _next_snapshot_name(snapshots: Path) -> str:
    numbers = [int(p.name) for p in snapshots.iterdir() if p.name.isdigit()]
    return f"{max(numbers, default=0) + 1:06d}"


def _switch_current(published_root: Path, snapshot: Path) -> None:
    temporary = published_root / f"{CURRENT}.{os.getpid()}.tmp"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(Path(SNAPSHOTS) / snapshot.name)
    os.replace(temporary, published_root / CURRENT)  # atomic on POSIX
    _fsync_dir(published_root)


def _ensure_serving_link(published_root: Path) -> None:
    link = published_root / SERVING_FILE
    if not link.is_symlink():
        if link.exists():
            link.unlink()
        link.symlink_to(Path(CURRENT) / SERVING_FILE)


def _prune(snapshots: Path, keep: Path, serving_files_kept: int = SERVING_FILES_KEPT) -> None:
    earlier = [p for p in sorted(snapshots.iterdir()) if p.name.isdigit() and p != keep]
    for age, old in enumerate(reversed(earlier), start=1):  # 1: the one just replaced
        if age > SNAPSHOTS_KEPT:
            shutil.rmtree(old, ignore_errors=True)
        elif age > serving_files_kept:
            (old / SERVING_FILE).unlink(missing_ok=True)


def _remove_abandoned_staging(snapshots: Path) -> None:
    """Delete staging folders left by a publication that was killed before its switch."""
    for folder in snapshots.glob(f"{_STAGING_PREFIX}*"):
        shutil.rmtree(folder, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
