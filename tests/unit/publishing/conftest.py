"""The published snapshot the report and workbook tests read (built once per session)."""

from __future__ import annotations

import pytest
from serving_fixture import Publication, build_publication


@pytest.fixture(scope="session")
def publication(tmp_path_factory: pytest.TempPathFactory) -> Publication:
    """July and August 2026 plan versions of the synthetic business, published (about 15 s)."""
    return build_publication(tmp_path_factory.mktemp("publication"))
