"""Hypothesis settings of the planning properties, without touching other packages' tests.

By default a property runs about 200 examples (the whole planning suite checks a few thousand
cases and stays well under a minute or two); ``HYPOTHESIS_PROFILE=thorough`` runs ten times as
many, for nightly CI and releases. The settings are applied per test (``@examples()``) rather
than by loading a global profile, so the other packages' hypothesis tests keep their own (no
deadline is the whole suite's, ``tests/conftest.py``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

FACTOR = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1


def examples(count: int = 200) -> settings:
    """Settings for a property that runs ``count`` examples by default."""
    return settings(
        max_examples=count * FACTOR,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
