"""Hypothesis profiles for the planning properties.

``default``: about 200 examples per property, so the default run stays well under a minute.
``thorough`` (``HYPOTHESIS_PROFILE=thorough``): ten times as many, for CI nights and releases.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
