"""Which files of an extract month feed which profile.

Each profile's ``pattern`` is a glob relative to ``landing/extracts/<YYYY-MM>/``. A month
whose folder is missing, a non-optional profile without a file, or a file two profiles
claim stop the load with a message naming what is missing or ambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingestion.errors import IngestionError, Problem
from ingestion.profiles import SourceProfile
from salesplan.home import SalesplanHome
from salesplan.months import add_months, format_month, parse_month


@dataclass(frozen=True)
class SourceFile:
    """One extract file and the profile that reads it.

    Attributes:
        month: the extract month, ``YYYY-MM``.
        path: absolute path of the file.
        display: path relative to ``landing/extracts`` (``_source_file`` in the raw layer).
        profile: the profile whose pattern matched the file.
    """

    month: str
    path: Path
    display: str
    profile: SourceProfile


def extract_files(
    home: SalesplanHome,
    profiles: Sequence[SourceProfile],
    month: str,
    entity: str | None = None,
) -> list[SourceFile]:
    """Return the files of extract month ``month`` that feed ``entity`` (default: all), sorted.

    Args:
        home: the home folder.
        profiles: every profile in use (so that overlapping patterns are detected).
        month: extract month ``YYYY-MM``.
        entity: only return (and require) the files of this entity's profiles.

    Raises:
        IngestionError: when the month's folder is missing, a non-optional profile matches
            no file, or a file matches two profiles.
    """
    folder = home.extract_folder(month)
    if not folder.is_dir():
        as_of = format_month(add_months(parse_month(month), 1))
        raise IngestionError(
            f"extract folder landing/extracts/{month}/ is missing",
            [Problem(f"landing/extracts/{month}/", "folder not found")],
            hint=f"the as-of {as_of} re-plan loads the extract of data month {month}: put "
            f"that month's files into {folder}",
        )
    claimed: dict[Path, SourceProfile] = {}
    missing: list[Problem] = []
    files: list[SourceFile] = []
    for profile in profiles:
        matches = sorted(
            path
            for path in folder.glob(profile.pattern)
            if path.is_file() and not path.name.startswith((".", "~$"))
        )
        wanted = entity is None or profile.entity.name == entity
        if not matches and not profile.optional and wanted:
            missing.append(
                Problem(
                    f"landing/extracts/{month}/{profile.pattern}",
                    f"no file matches the pattern of {profile.label} ({profile.entity.name})",
                )
            )
        for path in matches:
            if path in claimed:
                display = path.relative_to(home.extracts).as_posix()
                raise IngestionError(
                    f"{display} matches two source profiles",
                    [Problem(display, f"claimed by {claimed[path].label} and {profile.label}")],
                    hint="make the profiles' patterns disjoint",
                )
            claimed[path] = profile
            if wanted:
                files.append(
                    SourceFile(month, path, path.relative_to(home.extracts).as_posix(), profile)
                )
    if missing:
        raise IngestionError(
            f"extract month {month} lacks files that non-optional profiles require",
            missing,
            hint=f"add the files to {folder}, fix the patterns, or mark a profile "
            "`optional: true` if its source may skip a month",
        )
    return sorted(files, key=lambda source: source.display)
