import concurrent.futures
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from salesplan.processes import PARENT_POLL_S

POOL_SCRIPT = """
import time

import forecasts

if __name__ == "__main__":
    with forecasts.worker_pool(1) as pool:
        print(" ".join(str(pid) for pid in pool._processes), flush=True)
        time.sleep(600)
"""


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited, only its entry is left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pool_workers_exit_when_the_process_that_made_the_pool_is_killed(tmp_path) -> None:
    script = tmp_path / "make_pool.py"
    script.write_text(POOL_SCRIPT)
    parent = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=Path.cwd()
    )
    try:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert workers
        assert all(_running(pid) for pid in workers)

        os.kill(parent.pid, signal.SIGKILL)  # no finally, no pool.shutdown
        parent.wait()

        deadline = time.monotonic() + 10 * PARENT_POLL_S + 5
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_running(pid) for pid in workers)
    finally:
        parent.kill()
        parent.stdout.close()


def _double(value: int) -> int:
    return 2 * value


def test_a_kept_pool_starts_at_first_use_serves_every_block_and_ends_with_its_own() -> None:
    import forecasts

    before = {process.pid for process in multiprocessing.active_children()}
    with forecasts.keep_worker_pool(1):
        assert forecasts.pool_is_kept(1)
        assert not forecasts.pool_is_kept(2)
        assert {process.pid for process in multiprocessing.active_children()} == before

        with forecasts.worker_pool(1) as first:
            workers = set(first._processes)
            assert list(first.map(_double, [1, 2])) == [2, 4]
        with forecasts.worker_pool(1) as second:
            assert second is first
            assert list(second.map(_double, [3])) == [6]
        assert set(first._processes) == workers  # the same process, still running
    assert not forecasts.pool_is_kept(1)
    assert {process.pid for process in multiprocessing.active_children()} == before


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kills a worker with SIGKILL")
def test_a_kept_pool_whose_worker_died_is_replaced_at_the_next_use() -> None:
    import forecasts

    with forecasts.keep_worker_pool(1):
        with (  # noqa: PT012
            pytest.raises(concurrent.futures.BrokenExecutor),
            forecasts.worker_pool(1) as broken,
        ):
            os.kill(next(iter(broken._processes)), signal.SIGKILL)
            broken.submit(_double, 1).result(timeout=60)
        with forecasts.worker_pool(1) as replacement:
            assert replacement is not broken
            assert replacement.submit(_double, 21).result(timeout=60) == 42
