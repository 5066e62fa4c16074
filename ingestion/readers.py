"""Streaming readers for extract files: CSV, Parquet and XLSX, in bounded-size chunks.

Readers return the file's own columns, untyped for CSV (every value text, empty fields
``""``) and as stored for Parquet and XLSX; mapping and typing happen in
:mod:`ingestion.mapping`. Files are read in chunks of at most ``chunk_rows`` rows so a file
of any size is ingested within a bounded memory.

When the fast CSV parser (pyarrow) rejects a file, the file is scanned again line by line to
say exactly where and why: a byte sequence that is not in the profile's encoding, a row with
more or fewer fields than the header, or a quoted field the file ends inside (a truncated
export).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ingestion.errors import IngestionError, Problem
from ingestion.profiles import SourceProfile

# 64 MiB blocks keep pyarrow's per-block overhead negligible; chunk_rows bounds memory.
_CSV_BLOCK_BYTES = 64 << 20
_HASH_BLOCK_BYTES = 1 << 20
_STRING_TYPES = {
    pa.string(): pd.StringDtype("pyarrow"),
    pa.large_string(): pd.StringDtype("pyarrow"),
}


@dataclass(frozen=True)
class RawChunk:
    """Consecutive rows of one file, in the file's own column names.

    Attributes:
        frame: the rows; text columns are ``string[pyarrow]`` (CSV: every column, ``""``
            when empty), XLSX columns hold the cells' Python values.
        first_row: 1-based data row number (header excluded) of the frame's first row.
        row_numbers: the data row number of every row, when rows are not consecutive
            (blank XLSX rows are skipped but keep their numbers).
    """

    frame: pd.DataFrame
    first_row: int
    row_numbers: list[int] | None = None


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of the file's bytes (streamed)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def read_chunks(
    path: Path, profile: SourceProfile, display: str, chunk_rows: int
) -> tuple[list[str], Iterator[RawChunk]]:
    """Open ``path`` the way ``profile`` says and return its header and a chunk iterator.

    Args:
        path: the file.
        profile: the source profile whose pattern matched it.
        display: how messages name the file (path relative to ``landing/extracts``).
        chunk_rows: maximum rows per chunk.

    Raises:
        IngestionError: for an empty file, an unreadable header or (while iterating) a row
            that cannot be parsed; naming the file, row/line and value.
    """
    if path.stat().st_size == 0:
        raise _empty(display, profile)
    if profile.format == "csv":
        return _read_csv(path, profile, display, chunk_rows)
    if profile.format == "parquet":
        return _read_parquet(path, profile, display, chunk_rows)
    return _read_xlsx(path, profile, display, chunk_rows)


def _empty(display: str, profile: SourceProfile) -> IngestionError:
    return IngestionError(
        f"{display} is empty: it has no header row",
        [Problem(display, "the file has no header row (0 bytes or only blank lines)", line=1)],
        hint=f"re-export the file; a month without records still needs the header row "
        f"(profile {profile.label})",
    )


# ---------------------------------------------------------------------------------- CSV
def _read_csv(
    path: Path, profile: SourceProfile, display: str, chunk_rows: int
) -> tuple[list[str], Iterator[RawChunk]]:
    encoding = "utf-8-sig" if profile.encoding == "utf-8" else profile.encoding
    header = _csv_header(path, profile, encoding, display)
    _check_header(header, display)
    if _quote_count(path) % 2:
        # pyarrow reads an unclosed quote up to the end of the file as one value; an odd count
        # may also be a literal quote in an unquoted value, which the scan below accepts.
        problem = _diagnose_csv(path, profile, display, header)
        if problem is not None:
            raise problem

    def chunks() -> Iterator[RawChunk]:
        options = {
            "read_options": pa_csv.ReadOptions(
                # pyarrow skips a UTF-8 byte-order mark itself; other codecs are transcoded.
                encoding="utf8" if profile.encoding == "utf-8" else profile.encoding,
                block_size=_CSV_BLOCK_BYTES,
            ),
            "parse_options": pa_csv.ParseOptions(
                delimiter=profile.delimiter, newlines_in_values=True
            ),
            "convert_options": pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        }
        first_row = 1
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        try:
            reader = pa_csv.open_csv(path, **options)
            for batch in reader:
                pending.append(batch)
                pending_rows += batch.num_rows
                while pending_rows >= chunk_rows:
                    table = pa.Table.from_batches(pending)
                    head, rest = table.slice(0, chunk_rows), table.slice(chunk_rows)
                    yield RawChunk(_pandas(head), first_row)
                    first_row += chunk_rows
                    pending, pending_rows = rest.to_batches(), rest.num_rows
        except (pa.ArrowInvalid, UnicodeDecodeError) as error:
            raise _diagnose_csv(path, profile, display, header) or IngestionError(
                f"{display}: cannot parse the file: {error}",
                [Problem(display, str(error))],
                hint=f"check that {profile.label} describes this file (delimiter, encoding)",
            ) from None
        if pending_rows or first_row == 1:
            table = pa.Table.from_batches(pending, schema=_string_schema(header))
            yield RawChunk(_pandas(table), first_row)

    return header, chunks()


def _quote_count(path: Path) -> int:
    # Escaped quotes come in pairs (""), so an odd count means a quote never closes. The
    # quote byte 0x22 never occurs inside a multi-byte UTF-8 or GBK character.
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK_BYTES):
            count += block.count(b'"')
    return count


def _string_schema(header: list[str]) -> pa.Schema:
    return pa.schema([(name, pa.string()) for name in header])


def _csv_header(path: Path, profile: SourceProfile, encoding: str, display: str) -> list[str]:
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode(encoding if line_number == 1 else profile.encoding)
            except UnicodeDecodeError as error:
                raise _encoding_error(display, profile, line_number, raw, error) from None
            if text.strip():
                # A quoted header name may span lines; the csv module handles that.
                rest = handle.read(1 << 16).decode(profile.encoding, errors="replace")
                return next(csv.reader(io.StringIO(text + rest), delimiter=profile.delimiter))
    raise _empty(display, profile)


def _check_header(header: list[str], display: str) -> None:
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise IngestionError(
                f"{display}: header field {position} is empty",
                [Problem(display, f"header field {position} has no name", line=1)],
                hint="give every column a name in the export",
            )
        if name in seen:
            raise IngestionError(
                f"{display}: the header names column {name!r} twice",
                [Problem(display, "duplicate column name in the header", line=1, value=name)],
                hint="rename one of the columns in the export",
            )
        seen.add(name)


def _encoding_error(
    display: str, profile: SourceProfile, line: int, raw: bytes, error: UnicodeDecodeError
) -> IngestionError:
    bad = raw[error.start : error.end + 2]
    shown = raw.decode(profile.encoding, errors="replace").rstrip("\r\n")
    return IngestionError(
        f"{display} is not {profile.encoding} text",
        [
            Problem(
                display,
                f"bytes {bad.hex(' ')} at byte {error.start + 1} of the line are not valid "
                f"{profile.encoding} ({error.reason}); the line reads {shown[:60]!r}",
                line=line,
                value=bad,
            )
        ],
        hint=f"re-export the file as {profile.encoding}, or set `encoding:` in "
        f"{profile.label} to the file's encoding (Chinese exports are often gbk or gb18030)",
    )


def _diagnose_csv(
    path: Path, profile: SourceProfile, display: str, header: list[str]
) -> IngestionError | None:
    """Scan the file with the standard library; return the first problem found, if any."""
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            try:
                raw.decode(profile.encoding)
            except UnicodeDecodeError as decode_error:
                return _encoding_error(display, profile, line_number, raw, decode_error)
    text = io.TextIOWrapper(path.open("rb"), encoding=profile.encoding, newline="")
    with text:
        reader = csv.reader(text, delimiter=profile.delimiter, strict=True)
        row = 0
        start_line = 1
        try:
            next(reader)
            start_line = reader.line_num + 1
            for fields in reader:
                if not fields:  # blank line: skipped by both parsers
                    start_line = reader.line_num + 1
                    continue
                row += 1
                if len(fields) != len(header):
                    joined = profile.delimiter.join(fields)
                    return IngestionError(
                        f"{display}: row {row} has {len(fields)} fields but the header has "
                        f"{len(header)}",
                        [
                            Problem(
                                display,
                                f"expected {len(header)} fields, found {len(fields)}",
                                row=row,
                                line=start_line,
                                value=joined,
                            )
                        ],
                        hint="the row is ragged or the file is truncated: quote values that "
                        f"contain {profile.delimiter!r}, or re-export the complete file",
                    )
                start_line = reader.line_num + 1
        except csv.Error as csv_error:
            return IngestionError(
                f"{display}: cannot parse row {row + 1}",
                [
                    Problem(
                        display,
                        f"{csv_error} (a quoted field that never closes: the file is "
                        "probably truncated)",
                        row=row + 1,
                        line=start_line,
                    )
                ],
                hint="re-export the complete file",
            )
    return None


def csv_lines_of_rows(path: Path, profile: SourceProfile, rows: set[int]) -> dict[int, int]:
    """Return the physical line each of the given 1-based data rows starts on.

    Used on the error path only, to point at lines an editor shows; quoted values may span
    lines, so data row ``r`` is not always line ``r + 1``.
    """
    found: dict[int, int] = {}
    last = max(rows, default=0)
    encoding = "utf-8-sig" if profile.encoding == "utf-8" else profile.encoding
    with io.TextIOWrapper(path.open("rb"), encoding=encoding, errors="replace", newline="") as text:
        reader = csv.reader(text, delimiter=profile.delimiter)
        row = 0
        start_line = 1
        try:
            next(reader)
            start_line = reader.line_num + 1
            for fields in reader:
                if fields:
                    row += 1
                    if row in rows:
                        found[row] = start_line
                    if row >= last:
                        break
                start_line = reader.line_num + 1
        except (csv.Error, StopIteration):
            pass
    return found


# ------------------------------------------------------------------------------ Parquet
def _read_parquet(
    path: Path, profile: SourceProfile, display: str, chunk_rows: int
) -> tuple[list[str], Iterator[RawChunk]]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise IngestionError(
            f"{display} is not a readable Parquet file: {error}",
            [Problem(display, "not a Parquet file")],
            hint=f"re-export it as Parquet or fix `format:` in {profile.label}",
        ) from None
    header = list(parquet.schema_arrow.names)
    _check_header(header, display)

    def chunks() -> Iterator[RawChunk]:
        first_row = 1
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            yield RawChunk(_parquet_frame(batch), first_row)
            first_row += batch.num_rows
        if first_row == 1:
            empty = pa.RecordBatch.from_pylist([], schema=parquet.schema_arrow)
            yield RawChunk(_parquet_frame(empty), 1)

    return header, chunks()


def _parquet_frame(batch: pa.RecordBatch) -> pd.DataFrame:
    # Decimals become floats here (pandas would make Python Decimal objects, 20x slower to
    # type); DECIMAL(18, 2) amounts are exact in a float64 up to about 10^13.
    columns = [
        column.cast(pa.float64()) if pa.types.is_decimal(column.type) else column
        for column in batch.columns
    ]
    return _pandas(pa.RecordBatch.from_arrays(columns, names=batch.schema.names))


def _pandas(table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    # Text stays in Arrow memory (pandas "string[pyarrow]"): no Python str per value, and
    # the mapping's string kernels and the GX checks run on it several times faster.
    return table.to_pandas(types_mapper=_STRING_TYPES.get, date_as_object=False)


# --------------------------------------------------------------------------------- XLSX
def _read_xlsx(
    path: Path, profile: SourceProfile, display: str, chunk_rows: int
) -> tuple[list[str], Iterator[RawChunk]]:
    import zipfile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError) as error:
        raise IngestionError(
            f"{display} is not a readable XLSX workbook: {error}",
            [Problem(display, "not an XLSX workbook")],
            hint=f"save it as .xlsx or fix `format:` in {profile.label}",
        ) from None
    sheets = workbook.sheetnames
    sheet = profile.sheet
    if (isinstance(sheet, int) and not 0 <= sheet < len(sheets)) or (
        isinstance(sheet, str) and sheet not in sheets
    ):
        workbook.close()
        raise IngestionError(
            f"{display} has no sheet {sheet!r}",
            [Problem(display, f"sheets: {', '.join(sheets)}", value=sheet)],
            hint=f"set `sheet:` in {profile.label} to one of the workbook's sheets",
        )
    worksheet = workbook[sheets[sheet] if isinstance(sheet, int) else sheet]
    rows = worksheet.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None or all(cell is None for cell in first):
        workbook.close()
        raise _empty(display, profile)
    width = max(i for i, cell in enumerate(first) if cell is not None) + 1
    header = [str(cell).strip() if cell is not None else "" for cell in first[:width]]
    _check_header(header, display)

    def chunks() -> Iterator[RawChunk]:
        emitted = False
        buffer: list[tuple[object, ...]] = []
        row_numbers: list[int] = []
        try:
            for row_number, values in enumerate(rows, start=1):
                if all(cell is None for cell in values):
                    continue  # formatting-only rows at the end of a sheet
                buffer.append(tuple(values[:width]) + (None,) * (width - len(values)))
                row_numbers.append(row_number)
                if len(buffer) >= chunk_rows:
                    yield RawChunk(_frame(buffer, header), row_numbers[0], row_numbers)
                    buffer, row_numbers = [], []
                    emitted = True
            if buffer or not emitted:
                start = row_numbers[0] if row_numbers else 1
                yield RawChunk(_frame(buffer, header), start, row_numbers)
        finally:
            workbook.close()

    return header, chunks()


def _frame(rows: list[tuple[object, ...]], header: list[str]) -> pd.DataFrame:
    return (
        pd.DataFrame.from_records(rows, columns=header)
        if rows
        else pd.DataFrame({name: pd.Series(dtype=object) for name in header})
    )
