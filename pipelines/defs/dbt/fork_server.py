"""Start a backfill's dbt commands from a process that has imported dbt already.

A ``dbt build`` process spends its first ~2.5 s of CPU importing dbt-core and its adapter and
loading them, before it reads the project: a quarter of a ``default`` month's build on the
2-core machine, paid again by every month of a backfill. :func:`dbt_fork_server` starts, for a
block of dbt commands, one server process that imports dbt once; each command is then a child
that the server forks. The child runs dbt's own command line with the caller's arguments,
environment, working folder and standard streams, so a command behaves exactly as a ``dbt``
process would (its own interpreter state, exit code and JSON log lines on stdout for
dagster-dbt), only without the imports.

dagster-dbt starts dbt as an executable, so the block gets one: :data:`CLIENT_ENV_VAR` names a
small script that hands its arguments, environment and streams to the server over a Unix
socket, forwards SIGINT and SIGTERM (dagster-dbt interrupts dbt with SIGINT) to the child and
exits with the child's exit code. When the server cannot be reached, the script runs the real
dbt instead.

This module imports only the standard library at the top: the client runs it with ``-I -S``.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# While a server runs, the path of the executable that sends dbt commands to it.
CLIENT_ENV_VAR = "SALESPLAN_DBT_FORK_CLIENT"
# What the server imports before it forks anything: dbt's command line, the DuckDB adapter and
# the modules a build imports only once it runs (measured with sys.modules before and after).
PRELOAD = (
    "dbt.cli.main",
    "dbt.adapters.duckdb",
    "dbt.adapters.duckdb.impl",
    "dbt.task.build",
    "dbt.task.test",
    "daff",
    "sqlparse",
)
# One request: the arguments, working folder and environment of a dbt command (a few KB).
MAX_REQUEST_BYTES = 1 << 20
# How long a client waits for a server that is still importing dbt before it runs dbt itself.
CONNECT_TIMEOUT_S = 30.0
CONNECT_RETRY_S = 0.05
# How often the server checks that the process that started it is still there.
PARENT_POLL_S = 0.2
# How long leaving the block waits for the server to end on SIGTERM before killing it.
STOP_TIMEOUT_S = 10.0

_CLIENT_SCRIPT = """#!{python} -IS
import sys
sys.path.insert(0, {root!r})
from pipelines.defs.dbt.fork_server import client_main
sys.exit(client_main({socket!r}, {dbt!r}, {timeout!r}))
"""


def supported() -> bool:
    """Whether the server runs here: Linux, for fork and Unix sockets of packets with fds."""
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds")


@contextlib.contextmanager
def dbt_fork_server(dbt_executable: str) -> Iterator[Path]:
    """Run a dbt fork server for the block and yield its client executable.

    Also sets :data:`CLIENT_ENV_VAR` for the block, so the code location's dbt resource starts
    dbt through the server (``SalesplanDbtCliResource``). The server starts in the background:
    a command issued while it is still importing dbt waits for it. ``dbt_executable`` is what
    the client runs when there is no server to reach.
    """
    with tempfile.TemporaryDirectory(prefix="salesplan-dbt-") as folder:
        address = Path(folder, "server.sock")
        client = write_client(Path(folder, "dbt"), address, dbt_executable)
        server = subprocess.Popen(
            [sys.executable, "-m", __name__, str(address), str(os.getpid())],
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        previous = os.environ.get(CLIENT_ENV_VAR)
        os.environ[CLIENT_ENV_VAR] = str(client)
        try:
            yield client
        finally:
            if previous is None:
                os.environ.pop(CLIENT_ENV_VAR, None)
            else:
                os.environ[CLIENT_ENV_VAR] = previous
            server.terminate()
            try:
                server.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:  # e.g. still starting, with SIGTERM ignored
                server.kill()
                server.wait()


def write_client(
    path: Path, address: Path, dbt_executable: str, timeout_s: float = CONNECT_TIMEOUT_S
) -> Path:
    """Write the client executable of the server at ``address`` to ``path``; return ``path``."""
    path.write_text(
        _CLIENT_SCRIPT.format(
            python=sys.executable,
            root=str(Path(__file__).resolve().parents[3]),
            socket=str(address),
            dbt=dbt_executable,
            timeout=timeout_s,
        ),
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path


def client_main(address: str, dbt_executable: str, timeout_s: float = CONNECT_TIMEOUT_S) -> int:
    """Run the dbt command of ``sys.argv`` in a child of the server at ``address``.

    Returns the child's exit code; runs ``dbt_executable`` in this process's place when no
    server answers within ``timeout_s``.
    """
    arguments = sys.argv[1:]
    connection = _connect(address, timeout_s)
    if connection is None:
        os.execv(dbt_executable, [dbt_executable, *arguments])
    with connection:
        request = {"args": arguments, "cwd": os.getcwd(), "env": dict(os.environ)}
        socket.send_fds(connection, [json.dumps(request).encode()], [0, 1, 2])
        reply = connection.recv(64)
        if not reply:
            print("dbt fork server: the server ended before starting dbt", file=sys.stderr)
            return 1
        child = int(reply)

        def forward(signum: int, _frame: object) -> None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, forward)
        status = connection.recv(64)
    if not status:
        print(f"dbt fork server: the server ended while dbt (pid {child}) ran", file=sys.stderr)
        return 1
    return int(status)


def _connect(address: str, timeout_s: float) -> socket.socket | None:
    deadline = time.monotonic() + timeout_s
    while True:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            connection.connect(address)
        except (FileNotFoundError, ConnectionRefusedError):
            connection.close()
            if time.monotonic() >= deadline:
                return None
            time.sleep(CONNECT_RETRY_S)
        else:
            return connection


def serve(address: str, parent: int) -> None:
    """Import dbt, then fork a child for every request at ``address`` until ``parent`` ends.

    One thread only, so that forking is safe: new connections, clients that hang up and
    children that exit are all handled in one loop. A client that hangs up before its child
    ends (it was killed) gets its child interrupted, as dagster-dbt would.
    """
    # SIGTERM is how the block ends the server, but an ignored signal stays ignored across
    # exec: Dagster maps SIGTERM onto SIGINT's handler, which is "ignore" in a background job
    # of a non-interactive shell (`nohup salesplan backfill ... &`), and the block then
    # waited for the server for ever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for module in PRELOAD:
        # Only time is at stake: a module a later dbt moved is imported by the child instead.
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(address)
    listener.listen()
    clients: dict[int, socket.socket] = {}  # child pid -> its client's connection
    with selectors.DefaultSelector() as selector:
        selector.register(listener, selectors.EVENT_READ)
        while os.getppid() == parent:
            for key, _events in selector.select(timeout=PARENT_POLL_S):
                if key.fileobj is listener:
                    connection, _ = listener.accept()
                    child = _start(connection, [listener, *clients.values()], selector)
                    if child is not None:
                        clients[child] = connection
                        selector.register(connection, selectors.EVENT_READ, child)
                else:
                    # A client sends nothing after its request: readable means it hung up.
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(key.data, signal.SIGINT)
                    selector.unregister(key.fileobj)
            _report_exits(clients, selector)


def _start(
    connection: socket.socket,
    others: list[socket.socket],
    selector: selectors.BaseSelector,
) -> int | None:
    message, streams, _flags, _address = socket.recv_fds(connection, MAX_REQUEST_BYTES, 3)
    if len(streams) != 3:
        for stream in streams:
            os.close(stream)
        connection.close()
        return None
    child = os.fork()
    if child == 0:
        selector.close()
        for other in [*others, connection]:
            other.close()
        _run_dbt(json.loads(message), streams)
    for stream in streams:
        os.close(stream)
    connection.send(str(child).encode())
    return child


def _run_dbt(request: dict, streams: list[int]) -> None:
    """In the forked child: become the client's dbt process, run the command, exit."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for target, stream in enumerate(streams):
            os.dup2(stream, target)
            os.close(stream)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["dbt", *request["args"]]
        from dbt.cli.main import cli

        cli.main(args=request["args"], prog_name="dbt")
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException as error:  # the child must never return into the server loop
        print(f"dbt fork server: {error!r}", file=sys.stderr)
    finally:
        # What a normal interpreter exit does (dbt's and multiprocessing's exit handlers, the
        # streams flushed), without unwinding into the server's loop.
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _report_exits(clients: dict[int, socket.socket], selector: selectors.BaseSelector) -> None:
    while clients:
        try:
            child, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if child == 0:
            return
        connection = clients.pop(child, None)
        if connection is None:
            continue
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(connection)
        code = os.waitstatus_to_exitcode(status)  # -N when a signal N ended it
        with contextlib.suppress(OSError), connection:
            connection.send(str(code if code >= 0 else 128 - code).encode())


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
