"""relaxed_sqlite_sync: SQLite commits without fsync and closes without checkpoint, in a block."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import dagster as dg
import sqlalchemy
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.dagster_run import DagsterRun
from sqlalchemy.pool import NullPool

from pipelines.lib.dagster_sqlite import relaxed_sqlite_sync

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


def test_every_event_a_dagster_instance_stores_in_the_block_is_read_back(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        instance.add_run(DagsterRun(job_name="bench", run_id="run-1"))
        with relaxed_sqlite_sync():
            for index in range(40):
                instance.handle_new_event(
                    EventLogEntry(
                        error_info=None,
                        level=20,
                        user_message=f"message {index}",
                        run_id="run-1",
                        timestamp=time.time(),
                    )
                )
        messages = [entry.user_message for entry in instance.all_logs("run-1")]
    assert messages == [f"message {index}" for index in range(40)]
