"""Dagster's SQLite storage within a run, faster in two ways.

relaxed_sqlite_sync: commits without fsync and closes without checkpoint, in a block.
reused_event_log_engines: one engine per shard file instead of one per event, in a block.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import dagster as dg
import sqlalchemy
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.dagster_run import DagsterRun
from sqlalchemy.pool import NullPool

from pipelines.lib.dagster_sqlite import relaxed_sqlite_sync, reused_event_log_engines

FULL, NORMAL = 2, 1


def _wal_database(path: Path) -> Path:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x INTEGER)")
    connection.commit()
    connection.close()
    return path


def _write(path: Path) -> int:
    """Insert a row the way Dagster's storage does (fresh engine, NullPool); return synchronous."""
    engine = sqlalchemy.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as connection, connection.begin():
        connection.execute(sqlalchemy.text("INSERT INTO t VALUES (1)"))
        synchronous = connection.execute(sqlalchemy.text("PRAGMA synchronous")).scalar()
    engine.dispose()
    return int(synchronous)


def test_connections_in_the_block_commit_without_fsync_and_outside_as_before(
    tmp_path: Path,
) -> None:
    path = _wal_database(tmp_path / "events.db")
    with relaxed_sqlite_sync():
        assert _write(path) == NORMAL
    assert _write(path) == FULL


def test_closing_the_last_connection_in_the_block_keeps_the_wal_until_the_block_ends(
    tmp_path: Path,
) -> None:
    path = _wal_database(tmp_path / "events.db")
    wal = path.with_name("events.db-wal")
    with relaxed_sqlite_sync():
        for _ in range(3):
            _write(path)
        # Without the idle reader, each close would have checkpointed and deleted the WAL.
        assert wal.exists()
    assert not wal.exists()
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM t").fetchone()[0] == 3


def test_a_database_still_in_rollback_journal_mode_is_left_alone_and_stays_writable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
    with relaxed_sqlite_sync():
        # A reader in rollback-journal mode would lock out this second writer.
        _write(path)
        _write(path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM t").fetchone()[0] == 2


def _log_entry(index: int) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level=20,
        user_message=f"message {index}",
        run_id="run-1",
        timestamp=time.time(),
    )


def test_every_event_a_dagster_instance_stores_in_the_block_is_read_back(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        instance.add_run(DagsterRun(job_name="bench", run_id="run-1"))
        with relaxed_sqlite_sync(), reused_event_log_engines():
            for index in range(40):
                instance.handle_new_event(_log_entry(index))
        messages = [entry.user_message for entry in instance.all_logs("run-1")]
    assert messages == [f"message {index}" for index in range(40)]


def test_events_in_the_block_share_one_connection_per_shard_and_outside_one_each(
    tmp_path: Path,
) -> None:
    opened: list[object] = []

    def count(dbapi_connection: object, _record: object) -> None:
        opened.append(dbapi_connection)

    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        instance.add_run(DagsterRun(job_name="bench", run_id="run-1"))
        instance.handle_new_event(_log_entry(0))  # creates the run's shard
        sqlalchemy.event.listen(sqlalchemy.engine.Engine, "connect", count)
        try:
            with reused_event_log_engines():
                for index in range(1, 21):
                    instance.handle_new_event(_log_entry(index))
            in_block = len(opened)
            for index in range(21, 26):
                instance.handle_new_event(_log_entry(index))
            after_block = len(opened) - in_block
        finally:
            sqlalchemy.event.remove(sqlalchemy.engine.Engine, "connect", count)
        messages = [entry.user_message for entry in instance.all_logs("run-1")]
    assert in_block == 1
    assert after_block == 5  # Dagster's own: a new engine and connection for every event
    assert messages == [f"message {index}" for index in range(26)]
