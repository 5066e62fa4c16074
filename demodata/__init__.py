"""The deterministic demo business and its extract files.

``generate(home, size, seed, end_month)`` writes a complete ``landing/`` folder (source profiles,
``planning.yml`` and monthly CRM/ERP/planning extracts) for a Chinese B2B software company;
``simulate(size, seed, end_month)`` returns the same business in memory.
"""

from demodata.business import DemoBusiness, simulate
from demodata.generate import GenerationSummary, WrittenFile, generate
from demodata.sizes import SIZES, Size

__all__ = [
    "SIZES",
    "DemoBusiness",
    "GenerationSummary",
    "Size",
    "WrittenFile",
    "generate",
    "simulate",
]
