"""Benchmark the demo generator: wall time, peak memory and rows written for one size.

Usage::

    uv run --frozen python bench/bench_generate.py [--size default] [--seed 7]
        [--end-month 2026-10] [--out DIR] [--keep]

Peak memory is the process's maximum resident set size from ``resource.getrusage``
(``ru_maxrss``, kilobytes on Linux): everything the generator held at its peak, including
the Python interpreter and the imported libraries (about 150 MB), not a tracemalloc estimate.
Wall time covers ``demodata.generate`` only (imports excluded) and is split into simulation
and writing. Timings are from a shared 2-core machine; rerun when it is idle to compare.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import demodata


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="default", choices=sorted(demodata.SIZES))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end-month", default="2026-10")
    parser.add_argument("--out", type=Path, help="home folder to write (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temp home folder")
    args = parser.parse_args(argv)

    home = args.out or Path(tempfile.mkdtemp(prefix=f"bench_generate_{args.size}_"))
    steps: list[tuple[float, str]] = []
    started = time.perf_counter()

    def progress(message: str) -> None:
        steps.append((time.perf_counter() - started, message))

    summary = demodata.generate(
        home, size=args.size, seed=args.seed, end_month=args.end_month, progress=progress
    )
    elapsed = time.perf_counter() - started
    writing_started = next(
        (at for at, message in steps if message.startswith("writing the history")), elapsed
    )
    size_on_disk = sum(p.stat().st_size for p in (home / "landing").rglob("*") if p.is_file())

    print(f"demodata.generate size={args.size} seed={args.seed} end_month={args.end_month}")
    print(f"  wall time           {elapsed:8.1f} s")
    print(f"    simulation        {writing_started:8.1f} s")
    print(f"    writing files     {elapsed - writing_started:8.1f} s")
    print(f"  peak RSS            {_peak_rss_mb():8.0f} MB  (getrusage ru_maxrss, whole process)")
    print(f"  files               {len(summary.files):8d}")
    print(f"  size on disk        {size_on_disk / 2**20:8.0f} MB")
    print(f"  rows written        {summary.total_rows:12,d}")
    for entity, rows in sorted(summary.rows_by_entity().items(), key=lambda item: -item[1]):
        print(f"    {entity:<28}{rows:12,d}")
    if args.out is None and not args.keep:
        shutil.rmtree(home)
    else:
        print(f"  home                {home}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
