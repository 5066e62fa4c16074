"""Mapping and typing: one file's rows onto the canonical columns of its entity.

Pure functions of (rows, profile): renames, value maps, date formats, boolean spellings,
constants and the documented defaults of optional columns, then typing to the logical types
of ``salesplan.entities``. A value that cannot be typed stops the load with an error naming
the file, the rows, the column (and its source column) and the value.

Typed frames use one pandas dtype per logical type, the same ones the expectation suites
check: ``string`` -> ``string[pyarrow]``, ``date``/``timestamp`` -> ``datetime64[ns]``
(dates at midnight), ``decimal`` -> ``float64`` (cast to ``DECIMAL(18, 2)`` when written),
``integer`` -> ``Int64``, ``boolean`` -> ``boolean``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.errors import MAX_LISTED_PROBLEMS, IngestionError, Problem
from ingestion.profiles import DEFAULT_FALSE, DEFAULT_TRUE, SourceProfile
from ingestion.readers import RawChunk
from salesplan.entities import Column, ColumnType, Entity

META_COLUMNS = ("_extract_month", "_source_file", "_source_row")

PANDAS_DTYPES: dict[ColumnType, str] = {
    "string": "string[pyarrow]",
    "date": "datetime64[ns]",
    "timestamp": "datetime64[ns]",
    "decimal": "float64",
    "integer": "Int64",
    "boolean": "boolean",
}

_NOT_PROVIDED = object()


def source_columns(header: Sequence[str], profile: SourceProfile, display: str) -> dict[str, str]:
    """Return canonical column -> file column for the columns this file provides.

    Constants win over file columns; optional columns the file lacks are left out (they take
    their default).

    Raises:
        IngestionError: naming the file and every required column it lacks.
    """
    present = set(header)
    provided: dict[str, str] = {}
    missing: list[Problem] = []
    for column in profile.entity.columns:
        if column.name in profile.constants:
            continue
        source = profile.source_column(column.name)
        if source in present:
            provided[column.name] = source
        elif column.required:
            missing.append(
                Problem(
                    display,
                    f"required column is missing (the profile reads it from {source!r})",
                    line=1 if profile.format == "csv" else None,
                    column=column.name,
                    source_column=source,
                )
            )
    if missing:
        shown = ", ".join(repr(name) for name in header[:20])
        hint = (
            f"add the column to the export, or map it in {profile.label} under columns "
            f"(or set it under constants). The file's header is: {shown}"
        )
        if profile.format == "csv":
            hint += f". If the names look garbled, the file is not {profile.encoding}."
        raise IngestionError(
            f"{display} lacks required column(s) of {profile.entity.name}", missing, hint
        )
    return provided


def map_chunk(
    chunk: RawChunk,
    profile: SourceProfile,
    provided: Mapping[str, str],
    display: str,
    extract_month: dt.date,
) -> pd.DataFrame:
    """Return the chunk's rows as canonical, typed columns plus the lineage columns.

    Args:
        chunk: rows of one file in its own column names.
        profile: the profile that matched the file.
        provided: canonical -> file column, from :func:`source_columns`.
        display: the file's path relative to ``landing/extracts`` (``_source_file``).
        extract_month: first day of the extract month (``_extract_month``).

    Raises:
        IngestionError: for values that cannot be mapped or typed.
    """
    size = len(chunk.frame)
    rows = (
        np.asarray(chunk.row_numbers, dtype=np.int64)
        if chunk.row_numbers is not None
        else np.arange(chunk.first_row, chunk.first_row + size, dtype=np.int64)
    )
    typer = _Typer(profile, display, rows)
    columns: dict[str, pd.Series] = {}
    for column in profile.entity.columns:
        if column.name in profile.constants:
            raw = pd.Series([profile.constants[column.name]] * size, dtype=object)
            source = None
        elif column.name in provided:
            source = provided[column.name]
            raw = chunk.frame[source].reset_index(drop=True)
        else:
            raw = pd.Series([None] * size, dtype=object)
            source = None
        columns[column.name] = typer.typed(column, raw, source)
    frame = pd.DataFrame(columns)
    frame["_extract_month"] = pd.Timestamp(extract_month).as_unit("ns")
    frame["_source_file"] = pd.Series(display, index=frame.index, dtype=_STRING)
    frame["_source_row"] = rows
    return frame


def empty_frame(entity: Entity) -> pd.DataFrame:
    """Return a typed frame with no rows: the canonical and lineage columns of ``entity``."""
    frame = pd.DataFrame(
        {column.name: pd.Series(dtype=PANDAS_DTYPES[column.dtype]) for column in entity.columns}
    )
    frame["_extract_month"] = pd.Series(dtype="datetime64[ns]")
    frame["_source_file"] = pd.Series(dtype=_STRING)
    frame["_source_row"] = pd.Series(dtype="int64")
    return frame


class _Typer:
    def __init__(self, profile: SourceProfile, display: str, rows: np.ndarray) -> None:
        self.profile = profile
        self.display = display
        self.rows = rows

    def typed(self, column: Column, raw: pd.Series, source: str | None) -> pd.Series:
        kind = column.dtype
        if kind == "string":
            result = self._string(column, raw, source)
        elif kind in ("date", "timestamp"):
            result = self._datetime(column, raw, source)
        elif kind in ("decimal", "integer"):
            result = self._number(column, raw, source)
        else:
            result = self._boolean(column, raw, source)
        if column.default is not None and not column.required:
            result = result.fillna(_default(column)).astype(PANDAS_DTYPES[kind])
        return result

    # ------------------------------------------------------------------ per type
    def _string(self, column: Column, raw: pd.Series, source: str | None) -> pd.Series:
        text = _text(raw)
        mapping = self.profile.values.get(column.name)
        if mapping is None:
            return text
        values = _arrow(text)
        position = pc.index_in(values, value_set=pa.array(list(mapping), pa.large_string()))
        mapped = pc.take(pa.array(list(mapping.values()), pa.large_string()), position)
        # A value already in canonical form (a target of the map, or an allowed value) passes;
        # anything else is a label the map does not know.
        canonical = sorted(set(mapping.values()) | set(column.allowed or ()))
        unknown = pc.and_(
            pc.and_(pc.is_valid(values), pc.is_null(position)),
            pc.invert(pc.is_in(values, value_set=pa.array(canonical, pa.large_string()))),
        )
        if pc.any(unknown).as_py():
            known = ", ".join(list(mapping)[:12])
            self._fail(
                column,
                source,
                text,
                _mask(unknown),
                f"is not in the value map of {self.profile.label} (values.{column.name})",
                f"add the label under values.{column.name} in {self.profile.label}; "
                f"it knows: {known}",
            )
        return _series(pc.coalesce(mapped, values), raw.index)

    def _datetime(self, column: Column, raw: pd.Series, source: str | None) -> pd.Series:
        fmt = self.profile.date_formats.get(column.name)
        if pd.api.types.is_datetime64_any_dtype(raw.dtype):
            result, text = raw, raw.astype(object).where(raw.notna(), None)
        else:
            cells = raw.astype(object) if raw.dtype == object else None
            is_date = (
                cells.map(lambda value: isinstance(value, dt.date)).to_numpy(dtype=bool)
                if cells is not None
                else np.zeros(len(raw), dtype=bool)
            )
            text = _text(raw.where(~is_date, None) if is_date.any() else raw)
            try:
                result = _parse_datetimes(text, fmt)
            except (ValueError, TypeError) as error:
                self._fail(
                    column,
                    source,
                    text,
                    text.notna().to_numpy(dtype=bool),
                    f"cannot be read as dates: {error}",
                    "write every value in one format and one time zone",
                )
            if cells is not None and is_date.any():  # XLSX cells that already hold dates
                dates = pd.to_datetime(cells.where(is_date, None), errors="coerce")
                result = dates.where(is_date, result)
                text = text.astype(object).where(~is_date, cells)
        if isinstance(result.dtype, pd.DatetimeTZDtype):
            result = result.dt.tz_localize(None)  # keep the wall-clock time the export shows
        result = result.astype("datetime64[ns]")
        bad = (text.notna() & result.isna()).to_numpy(dtype=bool)
        if bad.any():
            expected = f"format {fmt!r} (date_formats.{column.name})" if fmt else "ISO 8601"
            self._fail(
                column,
                source,
                text,
                bad,
                f"is not a {column.dtype} in {expected}",
                f"fix the value, or set date_formats.{column.name} in {self.profile.label} "
                "to the export's format",
            )
        return result.dt.normalize() if column.dtype == "date" else result

    def _number(self, column: Column, raw: pd.Series, source: str | None) -> pd.Series:
        if pd.api.types.is_bool_dtype(raw.dtype):
            raw = raw.astype(object)
        if pd.api.types.is_numeric_dtype(raw.dtype):
            number = raw.astype("float64")
            text: pd.Series = raw.astype(object).where(raw.notna(), None)
        else:
            text = _text(raw)
            try:
                cast = pc.cast(_arrow(text), pa.float64())
                number = pd.Series(cast.to_numpy(zero_copy_only=False), index=raw.index)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                # Arrow stops at the first bad value; pandas finds them all.
                number = pd.to_numeric(text.astype(object), errors="coerce").astype("float64")
        values = number.to_numpy(dtype="float64", na_value=np.nan)
        bad = text.notna().to_numpy(dtype=bool) & ~np.isfinite(values)
        kind = "number"
        if column.dtype == "integer":
            bad |= np.isfinite(values) & (values != np.floor(values))
            kind = "whole number"
        if bad.any():
            self._fail(
                column,
                source,
                text,
                bad,
                f"is not a {kind}",
                "write plain numbers with a '.' decimal point and no thousands separators "
                "or currency signs",
            )
        if column.dtype == "integer":
            return number.astype("Int64")
        return number

    def _boolean(self, column: Column, raw: pd.Series, source: str | None) -> pd.Series:
        if pd.api.types.is_bool_dtype(raw.dtype):
            return raw.astype("boolean")
        if raw.dtype == object:  # XLSX cells may hold real booleans
            raw = raw.map(lambda value: str(value).lower() if isinstance(value, bool) else value)
        text = _text(raw)
        lower = text.str.lower()
        result = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        for spellings, value, words in (
            (DEFAULT_TRUE, True, lower),
            (DEFAULT_FALSE, False, lower),
            (self.profile.true_values, True, text),
            (self.profile.false_values, False, text),
        ):
            result[words.isin(spellings).fillna(False).to_numpy(dtype=bool)] = value
        bad = (text.notna() & result.isna()).to_numpy(dtype=bool)
        if bad.any():
            spellings = sorted(DEFAULT_TRUE | self.profile.true_values) + sorted(
                DEFAULT_FALSE | self.profile.false_values
            )
            self._fail(
                column,
                source,
                text,
                bad,
                f"is not true or false (known spellings: {', '.join(spellings)})",
                f"add the spelling under booleans in {self.profile.label}",
            )
        return result

    # ------------------------------------------------------------------ errors
    def _fail(
        self,
        column: Column,
        source: str | None,
        values: pd.Series,
        bad: np.ndarray,
        message: str,
        hint: str,
    ) -> NoReturn:
        positions = np.flatnonzero(bad)
        problems = [
            Problem(
                self.display,
                message,
                row=int(self.rows[position]),
                column=column.name,
                source_column=source,
                value=values.iloc[position],
            )
            for position in positions[:MAX_LISTED_PROBLEMS]
        ]
        raise IngestionError(
            f"{self.display}: {len(positions)} value(s) of column {column.name} {message}",
            problems,
            hint=hint,
            total=len(positions),
        )


_STRING = pd.StringDtype("pyarrow")


def _text(raw: pd.Series) -> pd.Series:
    """Return values as stripped ``string[pyarrow]``, missing when empty."""
    if not isinstance(raw.dtype, pd.StringDtype):
        raw = raw.astype(object).map(_cell_text).astype(_STRING)
    stripped = pc.utf8_trim_whitespace(_arrow(raw))
    return _series(pc.if_else(pc.equal(stripped, ""), None, stripped), raw.index)


def _parse_datetimes(text: pd.Series, fmt: str | None) -> pd.Series:
    """Parse text as datetimes with Python's ``strptime`` semantics (ISO 8601 without ``fmt``).

    ISO 8601 text goes through Arrow's cast, about five times faster than pandas and as
    strict (it rejects 30 February); text it rejects, and every explicit format, goes through
    pandas, which follows Python's ``strptime`` exactly (Arrow's ``strptime`` would turn
    30 February into 2 March).
    """
    if fmt is None:
        try:
            parsed = pc.cast(_arrow(text), pa.timestamp("ns"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        else:
            return pd.Series(parsed.to_numpy(zero_copy_only=False), index=text.index)
    return pd.to_datetime(text.astype(object), format=fmt or "ISO8601", errors="coerce")


def _cell_text(value: object) -> str | None:
    if _is_missing(value):
        return None
    return value if isinstance(value, str) else _plain(value)


def _arrow(text: pd.Series) -> pa.Array:
    values = pa.array(text.array)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _series(values: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(values.cast(pa.large_string())), index=index)


def _mask(values: pa.Array) -> np.ndarray:
    return values.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value == dt.datetime.combine(value.date(), dt.time()):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and np.isnan(value)


def _default(column: Column) -> object:
    if column.dtype in ("date", "timestamp"):
        return pd.Timestamp(column.default)  # type: ignore[arg-type]
    return column.default
