"""Shared hooks: the ``--slow`` switch, and how the suite is split between pytest-xdist workers.

``scripts/test.sh`` runs the suite on one worker per core (``-n auto``). Each worker takes
whole folders (``integration/dbt``, ``unit/forecasts``, ...): the session fixtures of a
folder's ``conftest.py`` (a published small demo, a Spark session, a dbt build) are then built
once, by the one worker that runs the folder. The folders that take longest go first, so that
the other workers fill in around them. The dbt manifest that the code location loads is
prepared once, before the workers start, so that no worker rewrites it while another reads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings
from xdist.scheduler import LoadScopeScheduling

TESTS = Path(__file__).parent

# No per-example deadline: speed is measured by bench/, not by tests. Hypothesis' default of
# 200 ms failed a property test that writes and reads files (408 ms on its first run, 45 ms on
# the replay) while a benchmark shared the 2-core machine.
settings.register_profile("salesplan", deadline=None)
settings.load_profile("salesplan")

# The longest folders (minutes each on two cores), dealt out first, longest first; the other
# folders follow in collection order.
LONGEST_FOLDERS = ("integration/pipelines", "integration/dbt", "integration/spark")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow", action="store_true", default=False, help="also run tests marked slow"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if config.getoption("numprocesses", None) and not hasattr(config, "workerinput"):
        from pipelines.defs.dbt.project import ensure_manifest

        ensure_manifest(lambda _message: None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: _folder_rank(folder_of(item.nodeid)))
    if config.getoption("--slow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --slow (make test_full)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


class FolderScheduling(LoadScopeScheduling):
    """pytest-xdist's scope scheduling with a test's folder as its scope."""

    def _split_scope(self, nodeid: str) -> str:
        return folder_of(nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> FolderScheduling:
    return FolderScheduling(config, log)


def folder_of(nodeid: str) -> str:
    """The folder of a test: its first two folders under ``tests/`` (``unit/planning``)."""
    path = Path(nodeid.split("::", 1)[0])
    parts = path.parent.parts[path.parts.index(TESTS.name) + 1 :]
    return "/".join(parts[:2]) or TESTS.name


def _folder_rank(folder: str) -> int:
    return LONGEST_FOLDERS.index(folder) if folder in LONGEST_FOLDERS else len(LONGEST_FOLDERS)
