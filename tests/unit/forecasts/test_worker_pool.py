import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forecasts.engine import PARENT_POLL_S

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
