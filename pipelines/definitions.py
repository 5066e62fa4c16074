"""The code location: every module under ``pipelines/defs`` registers its own objects."""

from __future__ import annotations

import warnings
from pathlib import Path

import dagster as dg

import pipelines.defs

# The ingestion assets backfill many months in one run (the catch-up of a new home), the rest
# one month per run. A re-plan is one month, so the job's resolved policy (one partition per
# run) is the intended one, and Dagster's warning about the mix would print on every run.
# Installed here, not in the job's module: loading the defs folder restores the filters.
warnings.filterwarnings(
    "ignore",
    message="Asset job replan_job materializes assets with varying BackfillPolicies",
    category=UserWarning,
)

defs = dg.load_defs(pipelines.defs, project_root=Path(__file__).resolve().parents[1])
