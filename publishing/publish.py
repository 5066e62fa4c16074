"""Atomic publication of the BI tables.

BI tools read ``$SALESPLAN_HOME/published``, never the working warehouse (DuckDB lets no other
process open a file while a writer holds it). A publication is a complete, immutable snapshot
folder; the only thing that changes in place is one symlink::

    published/
      current -> snapshots/000042          the single atomic switch (rename of a symlink)
      salesplan.duckdb -> current/salesplan.duckdb
      snapshots/000042/
        salesplan.duckdb                   serving file: one view per published table
        <table>/<YYYY-MM>.parquet          one file per as-of month (and per scenario)
        _publication.json                  what this snapshot holds: versions, row counts

A reader that opens ``published/salesplan.duckdb`` (read-only) or resolves ``published/current``
once sees one whole snapshot: the previous one or the new one, never a mix, and never a lock
error, because no process ever writes a file after it has been published. Files of as-of months
other than the one being published are hard-linked from the previous snapshot, so a snapshot
costs the size of one month, and replaying a month rewrites only that month's files, which
are byte-identical when the inputs are (rows sorted, no wall-clock values).

The serving file holds no rows: each table is a view over its snapshot's own Parquet files,
named by absolute path (DuckDB resolves a relative path against the reader's working folder,
not the file's). It used to hold a copy of every version, so each publication copied the whole
file and the disk held two copies at the peak: ~15 GB each after a year of the xlarge demo,
which is what kept that backfill from fitting the development machine. A serving file is good
for as long as its snapshot is kept (:data:`SNAPSHOTS_KEPT` publications on), and for as long
as the home folder stays where it is: after a move, :func:`republish` publishes the current
version again with views that name the new place.
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
# Snapshots kept besides the current one, so a reader that resolved `current` (or opened the
# serving file) before a switch can finish reading; older ones are deleted. They cost next to
# nothing: their files are hard links of the current ones, except a month replayed since.
SNAPSHOTS_KEPT = 3
# The serving file is written in the storage format of DuckDB 1.0, which every DuckDB since
# then reads: BI tools bundle their own DuckDB and lag behind (DuckDB 2.0's own format, which
# it writes by default, cannot be opened by 1.4 or earlier). It holds only views and the
# `_publication` table, so the old format costs nothing.
SERVING_STORAGE_VERSION = "v1.0.0"
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
# Fills a staging folder: (folder, snapshot name, previous snapshot) -> the manifest written.
Stage = Callable[[Path, str, Path | None], dict[str, object]]


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

    def stage(building: Path, snapshot: str, previous: Path | None) -> dict[str, object]:
        row_counts: dict[str, int] = {}
        for table in tables:
            folder = building / table.name
            folder.mkdir()
            if previous is not None:
                _link_other_months(previous / table.name, folder, month)
            row_counts[table.name] = _export_month(warehouse, table, as_of, folder)
            if check_schema is not None:
                check_schema(table.name, _schema(warehouse, folder, month))
        return _write_manifest(building, snapshot, month, tables, row_counts)

    return _publish_snapshot(published_root, stage)


class NothingPublishedError(SalesplanError):
    """There is no current snapshot to publish again."""


def republish(published_root: Path) -> Publication:
    """Publish the current snapshot again, with a serving file written for where it is now.

    The serving file's views name their Parquet files by absolute path, so after the home
    folder is moved (or restored from a backup somewhere else) they point at the old place.
    This writes a new snapshot of the same versions, every file a hard link of the current
    one's, with fresh views, and switches readers to it: nothing is re-planned, and it costs a
    second or so whatever the size.

    Raises:
        NothingPublishedError: if nothing was ever published under ``published_root``.
    """
    current = _current_snapshot(published_root)
    if current is None or not (current / MANIFEST_FILE).is_file():
        raise NothingPublishedError(
            f"nothing is published in {published_root}: run a re-plan (salesplan run) first"
        )
    published = json.loads((current / MANIFEST_FILE).read_text(encoding="utf-8"))

    def stage(building: Path, snapshot: str, previous: Path | None) -> dict[str, object]:
        assert previous is not None  # the current snapshot found above
        for name in _tables(published):
            folder = building / name
            folder.mkdir()
            _link_other_months(previous / name, folder, month=None)
        return _save_manifest(building, {**published, "snapshot": snapshot})

    return _publish_snapshot(published_root, stage)


def _publish_snapshot(published_root: Path, stage: Stage) -> Publication:
    """Stage a snapshot with ``stage``, give it its views and switch readers to it.

    ``stage(building, snapshot_name, previous)`` fills the staging folder ``building`` (one
    folder of Parquet files per table) and returns the manifest it wrote there. Whatever fails
    before the switch leaves the previous snapshot current and removes what was staged.
    """
    snapshots = published_root / SNAPSHOTS
    snapshots.mkdir(parents=True, exist_ok=True)
    previous = _current_snapshot(published_root)
    _remove_abandoned(snapshots, previous)
    building = snapshots / f"{_STAGING_PREFIX}{os.getpid()}"
    building.mkdir()
    snapshot = snapshots / _next_snapshot_name(snapshots)
    try:
        manifest = stage(building, snapshot.name, previous)
        # The serving file's views name the snapshot's files where they will stay, and DuckDB
        # opens a view's files when it is created: the folder takes its final name first. It
        # is not published until `current` points at it.
        building.rename(snapshot)
        building = snapshot
        _build_serving_file(snapshot, manifest)
    except BaseException:
        # Nothing was switched; what was staged goes now, not at the next publication.
        shutil.rmtree(building, ignore_errors=True)
        raise
    _fsync_dir(snapshots)
    _switch_current(published_root, snapshot)
    _ensure_serving_link(published_root)
    _prune(snapshots, keep=snapshot)
    return Publication(
        snapshot=snapshot,
        as_of_month=str(manifest["published_as_of_month"]),
        row_counts={name: table["rows_this_version"] for name, table in _tables(manifest).items()},
    )


def _tables(manifest: dict[str, object]) -> dict[str, dict[str, object]]:
    return manifest["tables"]  # type: ignore[return-value]


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


def _link_other_months(previous: Path, folder: Path, month: str | None) -> None:
    """Hard-link the previous snapshot's files of a table, but ``month``'s (None: every file)."""
    if not previous.is_dir():
        return
    for file in previous.glob("*.parquet"):
        if month is not None and (
            file.name == f"{month}.parquet" or file.name.startswith(f"{month}--")
        ):
            continue
        os.link(file, folder / file.name)


def _build_serving_file(snapshot: Path, manifest: dict[str, object]) -> None:
    """Write the snapshot's serving file: one view per table of the manifest over its files.

    A table with no file has no view. Each view is counted once it is created (Parquet footers
    give the count without reading the data), which proves that it reads its files, and the
    counts go into the ``_publication`` table.
    """
    serving = duckdb.connect(
        str(snapshot / SERVING_FILE),
        config={"storage_compatibility_version": SERVING_STORAGE_VERSION},
    )
    try:
        # One row per table: lets a reader check that what it reads is one whole publication.
        serving.execute(
            "create table _publication (snapshot varchar, published_as_of_month varchar, "
            "table_name varchar, versions varchar[], total_rows bigint)"
        )
        for name, table in _tables(manifest).items():
            files = sorted((snapshot / name).glob("*.parquet"))
            if not files:
                continue
            # Absolute paths: DuckDB resolves a relative one against the reader's folder.
            located = [file.absolute() for file in files]
            view = _sql_identifier(name)
            serving.execute(
                f"create view {view} as select * from read_parquet({_sql_list(located)})"
            )
            total = serving.execute(f"select count(*) from {view}").fetchall()[0][0]
            serving.execute(
                "insert into _publication values (?, ?, ?, ?, ?)",
                [
                    manifest["snapshot"],
                    manifest["published_as_of_month"],
                    name,
                    table["versions"],
                    total,
                ],
            )
        serving.execute("checkpoint")
    finally:
        serving.close()


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
    return _save_manifest(staging, manifest)


def _save_manifest(folder: Path, manifest: dict[str, object]) -> dict[str, object]:
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
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


def _prune(snapshots: Path, keep: Path) -> None:
    earlier = [p for p in sorted(snapshots.iterdir()) if p.name.isdigit() and p != keep]
    for old in earlier[: max(len(earlier) - SNAPSHOTS_KEPT, 0)]:
        shutil.rmtree(old, ignore_errors=True)


def _remove_abandoned(snapshots: Path, current: Path | None) -> None:
    """Delete what a publication killed before its switch left behind.

    That is its staging folder, or the snapshot it had renamed but not switched to: one
    numbered after the current snapshot (every publication takes the next number).
    """
    for folder in snapshots.glob(f"{_STAGING_PREFIX}*"):
        shutil.rmtree(folder, ignore_errors=True)
    newest = int(current.name) if current is not None else 0
    for folder in snapshots.iterdir():
        if folder.name.isdigit() and int(folder.name) > newest:
            shutil.rmtree(folder, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sql_identifier(name: str) -> str:
    # Table names come from the manifest, which republish() reads back from disk.
    return '"' + name.replace('"', '""') + '"'


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
