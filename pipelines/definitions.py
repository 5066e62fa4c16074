"""The code location: every module under ``pipelines/defs`` registers its own objects."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

import pipelines.defs

defs = dg.load_defs(pipelines.defs, project_root=Path(__file__).resolve().parents[1])
