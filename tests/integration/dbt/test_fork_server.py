"""dbt commands started through the fork server behave as a dbt process would.

The backfill starts its dbt builds this way (``runner.kept_dbt_process``); the reliability
scenario's two-month replay checks that it publishes the same bytes as single runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.defs.dbt.fork_server import CLIENT_ENV_VAR, dbt_fork_server, write_client
from pipelines.defs.dbt.resources import dbt_executable, dbt_resource

DBT = dbt_executable()


@pytest.fixture(scope="module")
def client() -> Iterator[Path]:
    """The client of one fork server, kept for the module's tests."""
    with dbt_fork_server(DBT) as client:
        yield client


@pytest.fixture
def slow_project(tmp_path: Path) -> Path:
    """A dbt project whose macro ``slow`` runs a DuckDB query of tens of seconds."""
    (tmp_path / "macros").mkdir()
    (tmp_path / "dbt_project.yml").write_text(
        "name: slow\nversion: '1.0'\nconfig-version: 2\nprofile: slow\n", encoding="utf-8"
    )
    (tmp_path / "profiles.yml").write_text(
        "slow:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ':memory:'\n",
        encoding="utf-8",
    )
    (tmp_path / "macros" / "slow.sql").write_text(
        textwrap.dedent(
            """\
            {% macro slow() %}
              {% do run_query("select count(*) from range(30000000000) where range % 7 = 3") %}
            {% endmacro %}
            """
        ),
        encoding="utf-8",
    )
    return tmp_path


def run(
    executable: Path | str, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(executable), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_a_command_through_the_server_prints_and_exits_as_dbt_does(client, tmp_path):
    version = run(client, "--version", cwd=tmp_path)
    assert version.returncode == 0
    assert "installed:" in version.stdout

    # Outside a dbt project: dbt's own error and exit code, through the client and without.
    direct = run(DBT, "parse", cwd=tmp_path)
    forked = run(client, "parse", cwd=tmp_path)
    assert direct.returncode != 0
    assert forked.returncode == direct.returncode
    assert forked.stderr == direct.stderr


def test_the_command_gets_the_client_s_folder_and_environment(client, slow_project):
    env = {**os.environ, "DBT_PROFILES_DIR": str(slow_project), "DBT_LOG_FORMAT": "json"}
    result = run(client, "debug", "--config-dir", cwd=slow_project, env=env)
    assert result.returncode == 0, result.stdout[-2000:]
    assert str(slow_project) in result.stdout  # the profiles folder came from the environment
    assert '"level": "info"' in result.stdout  # JSON log lines, as dagster-dbt reads them


def test_sigint_to_the_client_interrupts_its_dbt(client, slow_project):
    # dagster-dbt stops a dbt command with SIGINT when the run is interrupted. dbt itself does
    # not always stop at the first one (a dbt process started directly ignored it in 7 of 16
    # tries on a busy machine, at every stage of the command), so the signal is repeated.
    command = subprocess.Popen(
        [str(client), "run-operation", "slow", "--profiles-dir", str(slow_project)],
        cwd=slow_project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in command.stdout:  # dbt reports the project's macros, then runs the query
        if "Found" in line:
            break
    deadline = time.monotonic() + 30
    while command.poll() is None and time.monotonic() < deadline:
        command.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            command.wait(timeout=1.0)
    try:
        remaining, _ = command.communicate(timeout=30)  # the child holds stdout until it ends
    except subprocess.TimeoutExpired:
        command.kill()
        remaining, _ = command.communicate()
    assert command.returncode not in (0, -signal.SIGKILL), remaining
    assert "interrupted" in remaining or "KeyboardInterrupt" in remaining, remaining


def test_the_client_runs_dbt_itself_when_no_server_answers(tmp_path):
    fake_dbt = tmp_path / "fake-dbt"
    fake_dbt.write_text('#!/bin/sh\necho fake dbt "$@"\n', encoding="utf-8")
    fake_dbt.chmod(0o755)
    client = write_client(tmp_path / "dbt", tmp_path / "none.sock", str(fake_dbt), timeout_s=0.2)
    result = run(client, "build", "--threads", "4", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == "fake dbt build --threads 4\n"


def test_the_server_ends_with_the_process_that_started_it(tmp_path):
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pipelines.defs.dbt.fork_server import dbt_fork_server\n"
            f"with dbt_fork_server({DBT!r}) as client:\n"
            "    print(client, flush=True)\n"
            "    time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        socket_path = str(Path(starter.stdout.readline().strip()).with_name("server.sock"))
        deadline = time.monotonic() + 10
        servers = []  # until the server's process has started Python, its cmdline is not its own
        while not servers and time.monotonic() < deadline:
            servers = [pid for pid in _pids() if socket_path in _cmdline(pid)]
            time.sleep(0.05)
        assert len(servers) == 1
    finally:
        starter.kill()
        starter.wait()
    (server,) = servers
    deadline = time.monotonic() + 10
    while _alive(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(server)


def test_the_server_ends_with_its_block_when_it_inherits_sigterm_ignored(tmp_path):
    # Dagster maps SIGTERM onto SIGINT's handler, and a background job of a non-interactive
    # shell ignores SIGINT: the server started from there inherited SIGTERM ignored, and
    # leaving the block waited for it for ever.
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time\n"
            "from pathlib import Path\n"
            "from pipelines.defs.dbt.fork_server import dbt_fork_server\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            f"with dbt_fork_server({DBT!r}) as client:\n"
            "    deadline = time.monotonic() + 60\n"
            "    while not client.with_name('server.sock').exists():\n"
            "        assert time.monotonic() < deadline, 'the server never listened'\n"
            "        time.sleep(0.05)\n"
            "    left = time.monotonic()\n"
            "print(f'{time.monotonic() - left:.1f}', flush=True)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        out, _ = starter.communicate(timeout=120)
    finally:
        starter.kill()
    assert starter.returncode == 0
    # Ended by SIGTERM, not by the kill that follows fork_server.STOP_TIMEOUT_S (10 s).
    assert float(out) < 5


def test_the_dbt_resource_starts_dbt_through_the_client_of_a_running_server(tmp_path, monkeypatch):
    record = tmp_path / "arguments"
    fake_client = tmp_path / "client"
    fake_client.write_text(f'#!/bin/sh\necho "$@" > {record}\n', encoding="utf-8")
    fake_client.chmod(0o755)
    monkeypatch.setenv(CLIENT_ENV_VAR, str(fake_client))
    dbt_resource.cli(["ls"], target_path=tmp_path / "target", raise_on_error=False).wait()
    assert record.read_text(encoding="utf-8").split()[0] == "ls"


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _alive(pid: int) -> bool:
    # A process that ended but was not reaped yet (a zombie) has ended too.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
