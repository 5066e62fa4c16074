"""Worker processes that do not outlive the process that started them."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import threading
import time
from collections.abc import Callable

PARENT_POLL_S = 1.0  # how often a worker checks that its parent is still alive


def is_running(pid: int) -> bool:
    """Whether process ``pid`` exists (a process of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def exit_with_parent(parent: int, poll_s: float = PARENT_POLL_S) -> None:
    """End this worker process once ``parent``, the process that created its pool, is gone.

    Use it as (or in) a pool's ``initializer``, with the creating process's pid. A
    ``ProcessPoolExecutor``'s workers wait on a pipe from their parent; a parent killed with
    SIGKILL (or a SIGTERM that skips its ``finally``) leaves them waiting forever, idle but
    holding memory. A daemon thread notices the parent's death (this process is re-parented)
    and exits.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def spawn_pool(
    workers: int, initializer: Callable[[], None] | None = None
) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of ``workers`` processes started with ``spawn`` that exit with this process.

    ``spawn`` is safe in a process that holds threads (Dagster's and DuckDB's do). Each worker
    runs :func:`exit_with_parent`, then ``initializer`` (a module-level function) if given.
    """
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer),
    )


def _start_worker(parent: int, initializer: Callable[[], None] | None) -> None:
    exit_with_parent(parent)
    if initializer is not None:
        initializer()
