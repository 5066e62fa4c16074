"""What has landed: is an extract month complete, and has this exact set been seen before.

Pure helpers (no Dagster) behind the schedule's guard and the sensor, so they can be tested.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from ingestion.errors import IngestionError
from ingestion.profiles import discover_profiles
from ingestion.sources import extract_files
from salesplan.home import SalesplanHome
from salesplan.months import add_months, format_month, parse_month

# A month counts as landed only when no file in it changed for this long: exports are
# copied file by file, and the re-plan must not start on a half-copied set.
DEFAULT_QUIET_SECONDS = 120.0


@dataclass(frozen=True)
class LandedMonth:
    """The state of one extract month's folder.

    Attributes:
        month: the extract month ``YYYY-MM``.
        complete: every non-optional profile has its file(s) and the folder is quiet.
        reason: why it is not complete (empty when complete).
        fingerprint: identifies this exact set of files (paths, sizes, modification times).
    """

    month: str
    complete: bool
    reason: str
    fingerprint: str

    @property
    def as_of_month(self) -> str:
        """The as-of month whose re-plan consumes this extract (the next month)."""
        return format_month(add_months(parse_month(self.month), 1))


def extract_months(home: SalesplanHome) -> list[str]:
    """Return the extract months that have a folder, oldest first."""
    if not home.extracts.is_dir():
        return []
    months = []
    for folder in home.extracts.iterdir():
        try:
            months.append(format_month(parse_month(folder.name)))
        except ValueError:
            continue
    return sorted(months)


def inspect_month(
    home: SalesplanHome,
    month: str,
    *,
    quiet_seconds: float = DEFAULT_QUIET_SECONDS,
    now: float | None = None,
) -> LandedMonth:
    """Return whether extract month ``month`` has completely landed, and its fingerprint."""
    folder = home.extract_folder(month)
    files = sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []
    stats = [(path.relative_to(folder).as_posix(), path.stat()) for path in files]
    digest = hashlib.sha256()
    for name, stat in stats:
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    fingerprint = digest.hexdigest()[:16]
    try:
        extract_files(home, discover_profiles(home.profiles), month)
    except IngestionError as error:
        details = "; ".join(problem.describe() for problem in error.problems)
        reason = f"{error.summary}: {details}" if details else error.summary
        return LandedMonth(month, False, reason, fingerprint)
    newest = max((stat.st_mtime for _, stat in stats), default=0.0)
    age = (time.time() if now is None else now) - newest
    if age < quiet_seconds:
        reason = f"files still changing (last change {age:.0f} s ago, waiting {quiet_seconds:g} s)"
        return LandedMonth(month, False, reason, fingerprint)
    return LandedMonth(month, True, "", fingerprint)


def run_key(landed: LandedMonth) -> str:
    """The run key of the re-plan started by a landed month: same files, same key."""
    return f"extracts-{landed.month}-{landed.fingerprint}"


def months_to_replan(
    landed: list[LandedMonth], seen: dict[str, str] | None
) -> tuple[list[LandedMonth], dict[str, str]]:
    """Decide which landed months start a re-plan, and what the sensor has now seen.

    Args:
        landed: the state of every extract month, oldest first.
        seen: extract month -> fingerprint already acted on; ``None`` on the sensor's first
            evaluation.

    Returns:
        The complete months whose file set is new (oldest first), and the updated ``seen``.
        On the first evaluation only the newest complete month starts a run: the history
        that was there before the sensor was switched on is not replayed (use a backfill).
    """
    complete = [month for month in landed if month.complete]
    updated = dict(seen or {})
    if seen is None:
        updated = {month.month: month.fingerprint for month in complete}
        return complete[-1:], updated
    changed = [month for month in complete if seen.get(month.month) != month.fingerprint]
    updated.update({month.month: month.fingerprint for month in changed})
    return changed, updated
