"""Errors that tell the user exactly what is wrong with an input and what to do about it.

Every failure of ingestion names the file, and where they apply the 1-based data row (header
excluded), the physical line, the canonical column (and the source column it came from) and
the offending value, then says what to do. ``str(error)`` is the message the CLI prints and
Dagster shows; the structured fields (``problems``) feed run metadata and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# How many offending rows an error message lists before it summarises the rest.
MAX_LISTED_PROBLEMS = 10


@dataclass(frozen=True)
class Problem:
    """One offending spot in an input file.

    Attributes:
        file: path of the file, relative to ``landing/extracts`` (or the profile path).
        message: what is wrong at this spot, e.g. ``"is negative"``.
        row: 1-based data row number (header excluded), if the problem is in a row.
        line: 1-based physical line number in a text file, when known.
        column: canonical column name.
        source_column: the column name in the file when it differs from ``column``.
        value: the offending value as written in the file (or after mapping).
    """

    file: str
    message: str
    row: int | None = None
    line: int | None = None
    column: str | None = None
    source_column: str | None = None
    value: object | None = None

    def describe(self) -> str:
        """Return e.g. ``f.csv, row 7 (line 8), column amount, value '-5': is negative``."""
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}" + (f" (line {self.line})" if self.line else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            column = f"column {self.column}"
            if self.source_column and self.source_column != self.column:
                column += f" (source column {self.source_column!r})"
            parts.append(column)
        if self.value is not None:
            parts.append(f"value {_show(self.value)}")
        return ", ".join(parts) + f": {self.message}"


class IngestionError(Exception):
    """Bad input: nothing was written. The message names what is wrong and what to do.

    Attributes:
        summary: one sentence saying what failed.
        problems: the offending spots (files, rows, columns, values), first ones first.
        hint: what the user should do.
        total: how many offending spots there are in all (``problems`` may list fewer).
    """

    def __init__(
        self,
        summary: str,
        problems: Sequence[Problem] = (),
        hint: str | None = None,
        total: int | None = None,
    ) -> None:
        self.summary = summary
        self.problems = tuple(problems)
        self.hint = hint
        self.total = max(total if total is not None else len(self.problems), len(self.problems))
        super().__init__(summary)

    def __str__(self) -> str:
        lines = [self.summary]
        lines += [f"  {problem.describe()}" for problem in self.problems[:MAX_LISTED_PROBLEMS]]
        hidden = self.total - min(len(self.problems), MAX_LISTED_PROBLEMS)
        if hidden > 0:
            lines.append(f"  ... and {hidden} more")
        if self.hint:
            lines.append(f"What to do: {self.hint}")
        return "\n".join(lines)


class ProfileError(IngestionError):
    """An invalid source profile, rejected before any data is read."""

    def __init__(self, profile_file: str, key: str | None, message: str, hint: str | None = None):
        self.profile_file = profile_file
        self.key = key
        where = f"{profile_file}, key {key}" if key else profile_file
        super().__init__(f"invalid source profile {where}: {message}", hint=hint)


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."
