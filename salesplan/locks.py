"""A cross-process lock that serialises re-plans of one home folder.

DuckDB admits one read-write process per file, and a re-plan is a sequence of writes (ingest,
dbt, forecasts, plan, publish) that must not interleave with another re-plan's: a second run
would rebuild the marts for its own as-of month underneath the first. Whoever re-plans holds
this lock for the whole run; a second re-plan waits up to its timeout and then fails with a
message naming the holder.

The lock is an ``flock`` on a file next to the warehouse, so the kernel releases it when the
holding process dies (a killed re-plan never leaves a stale lock behind).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from salesplan.errors import SalesplanError

POLL_SECONDS = 0.2
# Locks this process holds, with their nesting depth: the CLI holds the lock for a whole
# re-plan and the warehouse resource takes it again inside the run; that must not deadlock.
_HELD: dict[Path, int] = {}


class LockBusyError(SalesplanError):
    """Another process holds the lock for longer than the caller was willing to wait."""


@contextmanager
def exclusive_lock(path: Path, *, purpose: str, timeout_s: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the duration of the block.

    Args:
        path: the lock file (created if missing; its content describes the holder).
        purpose: what the holder is doing, shown to whoever has to wait.
        timeout_s: how long to wait for the lock; 0 fails at once if it is taken.

    Raises:
        LockBusyError: if the lock is still taken after ``timeout_s``, naming the holder.
    """
    key = path.resolve()
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held across the yield
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusyError(_busy_message(path, purpose, timeout_s)) from None
                time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        holder = {
            "pid": os.getpid(),
            "purpose": purpose,
            "since": dt.datetime.now().isoformat(timespec="seconds"),
        }
        handle.write(json.dumps(holder))
        handle.flush()
        _HELD[key] = 1
        try:
            yield
        finally:
            _HELD.pop(key, None)
    finally:
        handle.close()  # closing the descriptor releases the flock


def _busy_message(path: Path, purpose: str, timeout_s: float) -> str:
    try:
        holder = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        holder = {}
    who = (
        f"process {holder.get('pid', '?')} ({holder.get('purpose', 'unknown')}, "
        f"since {holder.get('since', '?')})"
    )
    return (
        f"cannot start {purpose}: {who} is writing this home's warehouse. "
        f"Waited {timeout_s:g} s. Wait for it to finish, or raise the wait with --wait SECONDS."
    )
