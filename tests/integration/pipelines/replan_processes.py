"""Helpers to run the ``salesplan`` CLI as a real process, kill it, and read what it published."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[3]
FIRST_MONTH = "2026-10"
NEXT_MONTH = "2026-11"


def cli(home: Path, *args: str) -> list[str]:
    """The command line of ``salesplan --home HOME ARGS`` in this interpreter."""
    return [sys.executable, "-m", "pipelines.cli", "--home", str(home), *args]


def run_cli(home: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run the CLI to completion and return its result (stdout and stderr as text)."""
    return subprocess.run(
        cli(home, *args), cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )


class RunningCli:
    """A CLI process whose progress lines (stderr) can be waited for."""

    def __init__(self, home: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            cli(home, *args),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its children can be cleaned up as a group afterwards
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stderr:  # type: ignore[union-attr]
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, fragment: str, timeout: float = 600) -> bool:
        """Wait until a progress line contains ``fragment``; False if the process ended first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                return False
            self.lines.append(line)
            if fragment in line:
                return True
        raise TimeoutError(f"no progress line with {fragment!r} after {timeout} s")

    def kill(self) -> None:
        """SIGKILL the re-plan process itself (children such as dbt keep running)."""
        self.process.kill()
        self.process.wait(30)

    def finish(self, timeout: float = 900) -> int:
        """Wait for the process to end; return its exit code."""
        return self.process.wait(timeout)

    def kill_leftovers(self) -> None:
        """Kill whatever the process group still runs (orphaned tools), for test hygiene."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


@dataclass(frozen=True)
class PublishedState:
    """What a reader resolving ``published/current`` sees."""

    snapshot: str
    as_of_month: str
    versions: dict[str, tuple[str, ...]]
    parquet_sha256: dict[str, str]


def read_whole_publication(published: Path) -> PublishedState:
    """Read the current snapshot and assert it is whole: manifest, Parquet and DuckDB agree."""
    import hashlib

    snapshot = (published / "current").resolve(strict=True)
    manifest = json.loads((snapshot / "_publication.json").read_text(encoding="utf-8"))
    assert manifest["snapshot"] == snapshot.name
    serving = duckdb.connect(str(snapshot / "salesplan.duckdb"), read_only=True)
    try:
        rows = serving.execute(
            "select table_name, snapshot, published_as_of_month, total_rows from _publication"
        ).fetchall()
        assert {row[0] for row in rows} == set(manifest["tables"])
        for table, snap, month, total in rows:
            assert snap == snapshot.name
            assert month == manifest["published_as_of_month"]
            files = sorted((snapshot / table).glob("*.parquet"))
            versions = {file.stem.split("--")[0] for file in files}
            assert versions == set(manifest["tables"][table]["versions"]), table
            in_serving = serving.execute(f"select count(*) from {table}").fetchall()[0][0]
            in_parquet = (
                serving.execute(
                    "select count(*) from read_parquet(?)", [[str(file) for file in files]]
                ).fetchall()[0][0]
                if files
                else 0
            )
            assert in_serving == in_parquet == total, table
    finally:
        serving.close()
    hashes = {
        str(path.relative_to(snapshot)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(snapshot.rglob("*.parquet"))
    }
    return PublishedState(
        snapshot=snapshot.name,
        as_of_month=manifest["published_as_of_month"],
        versions={t: tuple(i["versions"]) for t, i in manifest["tables"].items()},
        parquet_sha256=hashes,
    )


def reader_loop(serving_link: str, stop: object, results: object) -> None:
    """Read the serving file over and over until ``stop`` is set; report what was seen.

    Each read opens ``published/salesplan.duckdb`` read-only, as a BI tool would, and checks
    that every table's row count matches the publication record of the same snapshot. Runs in
    a separate process (``multiprocessing``); puts ``(reads, snapshots_seen, errors)``. Also
    stops when the test process is gone, so that a killed test run leaves no reader behind.
    """
    parent = os.getppid()
    reads, seen, errors = 0, [], []
    while not stop.is_set() and os.getppid() == parent:  # type: ignore[attr-defined]
        try:
            connection = duckdb.connect(serving_link, read_only=True)
            try:
                rows = connection.execute(
                    "select table_name, snapshot, published_as_of_month, total_rows "
                    "from _publication"
                ).fetchall()
                snapshots = {row[1] for row in rows}
                if len(snapshots) != 1:
                    errors.append(f"publication rows from several snapshots: {snapshots}")
                for table, _, _, total in rows:
                    count = connection.execute(f"select count(*) from {table}").fetchall()[0][0]
                    if count != total:
                        errors.append(f"{table}: {count} rows, publication says {total}")
                month = rows[0][2]
                snapshot = rows[0][1]
                if not seen or seen[-1] != (snapshot, month):
                    seen.append((snapshot, month))
                reads += 1
            finally:
                connection.close()
        except Exception as error:  # every failure is what the test looks for
            errors.append(f"{type(error).__name__}: {error}")
        time.sleep(0.1)
    results.put((reads, seen, errors))  # type: ignore[attr-defined]
