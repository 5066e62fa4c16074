import os
import subprocess
import sys

from salesplan.processes import is_running


def test_is_running_tells_a_live_process_from_one_that_ended() -> None:
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )

    assert is_running(os.getpid())
    assert not is_running(int(ended.stdout))
