"""The one Great Expectations context of the process, and its in-memory frame batches.

Creating a GX context is slow compared with validating a small frame (figures in
``bench/bench_ingest.py``), so the process keeps one ephemeral context (nothing is written
to disk) with one pandas data source, one dataframe asset and one whole-dataframe batch
definition, and every validation passes its frame as a batch parameter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import pandas_execution_engine

# GX fingerprints every in-memory batch by hashing all its values (about a quarter of the
# time of validating 100,000 rows) unless the frame exceeds this many bytes. The fingerprint
# only labels the batch; each load records its files' sha256 instead.
pandas_execution_engine.HASH_THRESHOLD = 0


@dataclass(frozen=True)
class FrameValidator:
    """The process's GX context and the batch definition that wraps in-memory frames."""

    context: Any
    batch_definition: Any
    setup_seconds: float


@cache
def frame_validator() -> FrameValidator:
    """Return the process's context, creating it on first use."""
    started = time.perf_counter()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("salesplan_frames")
    asset = source.add_dataframe_asset("raw_frame")
    batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")
    return FrameValidator(context, batch_definition, time.perf_counter() - started)
