"""Check that older DuckDB releases read the published serving file, row for row.

BI tools bundle their own DuckDB, often a release or two behind the one the product writes
with. This opens ``published/salesplan.duckdb`` of a home with this environment's DuckDB and
with each of ``--versions`` (each fetched from PyPI by ``uv run --with``), fingerprints every
view (row count and an order-independent hash of the rows' Python values) and compares::

    uv run --frozen python scripts/serving_compat.py HOME [--versions 1.1.3 1.4.5]

It exits 1 when a version cannot open the file or reads different rows. Only the standard
library and ``duckdb`` are imported, so the same file runs under any of those versions. The
hash is taken in Python, the same way in every version (DuckDB's own ``hash`` changed between
releases): about 2.5 minutes a version for the ``default`` demo's 9 M published rows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb

DEFAULT_VERSIONS = ("1.1.3", "1.4.5")


def fingerprint(serving_file: Path) -> dict[str, list[int]]:
    """Return ``{view: [rows, hash]}`` for every view of the serving file."""
    connection = duckdb.connect(str(serving_file), read_only=True)
    try:
        views = [
            row[0]
            for row in connection.execute(
                "select view_name from duckdb_views() where not internal order by 1"
            ).fetchall()
        ]
        result: dict[str, list[int]] = {}
        for view in views:
            cursor = connection.execute(f'select * from "{view}"')
            rows = total = 0
            while batch := cursor.fetchmany(100_000):
                for row in batch:
                    digest = hashlib.md5(repr(row).encode(), usedforsecurity=False).digest()
                    total = (total + int.from_bytes(digest[:8], "little")) % (1 << 64)
                rows += len(batch)
            result[view] = [rows, total]
        return result
    finally:
        connection.close()


def _in_version(version: str, serving_file: Path) -> tuple[dict[str, list[int]] | str, float]:
    started = time.perf_counter()
    command = ["uv", "run", "--quiet", "--no-project", "--with", f"duckdb=={version}", "python"]
    completed = subprocess.run(
        [*command, __file__, "--fingerprint", str(serving_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or [f"exit {completed.returncode}"]
        return next((line for line in lines if "Error" in line), lines[-1]), seconds
    return json.loads(completed.stdout), seconds


def main(argv: list[str] | None = None) -> int:
    """Compare the fingerprints; 0 when every version reads the same rows."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path, nargs="?", help="the salesplan home folder")
    parser.add_argument("--versions", nargs="+", default=list(DEFAULT_VERSIONS))
    parser.add_argument("--fingerprint", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fingerprint is not None:
        print(json.dumps(fingerprint(args.fingerprint)))
        return 0
    if args.home is None:
        parser.error("give the home folder")
    serving_file = args.home / "published" / "salesplan.duckdb"
    if not serving_file.exists():
        parser.error(f"{serving_file} does not exist: run a re-plan in {args.home} first")

    expected = fingerprint(serving_file)
    rows = sum(count for count, _ in expected.values())
    print(f"{serving_file}: {len(expected)} views, {rows:,} rows (DuckDB {duckdb.__version__})")
    failed = False
    for version in args.versions:
        got, seconds = _in_version(version, serving_file)
        if isinstance(got, str):
            verdict = f"cannot read it: {got}"
        else:
            views = expected.keys() | got.keys()
            differ = sorted(view for view in views if expected.get(view) != got.get(view))
            verdict = "same rows in every view" if not differ else f"differs in {', '.join(differ)}"
        failed |= verdict != "same rows in every view"
        print(f"  DuckDB {version:<8} {verdict} ({seconds:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
