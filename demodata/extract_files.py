"""Byte-reproducible file writers: CSV (any encoding), Parquet and XLSX.

Nothing written depends on the wall clock: XLSX files carry fixed document timestamps and zip
entry dates, so the same table always gives the same bytes (checked by sha256 in the tests).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from openpyxl import Workbook

# The date stamped into XLSX metadata and zip entries (any fixed date would do).
FIXED_TIMESTAMP = dt.datetime(2020, 1, 1)


def write_csv(
    table: pa.Table, path: Path, encoding: str = "utf-8", quote_all: bool = False
) -> None:
    """Write ``table`` as CSV with a header row, also when it has no rows.

    Args:
        table: the rows; timestamps are written ``YYYY-MM-DD HH:MM:SS``, dates ``YYYY-MM-DD``.
        path: the file to (over)write.
        encoding: text encoding of the file (e.g. ``gbk`` for Chinese spreadsheet exports).
        quote_all: quote every non-null value, as Salesforce report exports do.

    Raises:
        UnicodeEncodeError: if a value cannot be written in ``encoding``.
    """
    buffer = io.BytesIO()
    options = pa_csv.WriteOptions(quoting_style="all_valid" if quote_all else "needed")
    pa_csv.write_csv(table, buffer, write_options=options)
    data = buffer.getvalue()
    if encoding.replace("-", "").lower() != "utf8":
        data = data.decode("utf-8").encode(encoding)
    _write_bytes(path, data)


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write ``table`` as a Parquet file (one row group per ~1M rows, snappy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=1_000_000)


def write_xlsx(table: pa.Table, path: Path, sheet_title: str = "Sheet1") -> None:
    """Write ``table`` as the first sheet of an XLSX workbook with a header row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append(table.column_names)
    for row in table.to_pylist():
        sheet.append([_cell(value) for value in row.values()])
    workbook.properties.created = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    workbook.save(buffer)
    _write_bytes(path, _normalise_zip(buffer.getvalue()))


def _cell(value: object) -> object:
    # Decimals go to Excel as numbers (Excel has no decimal type).
    if hasattr(value, "as_tuple"):
        return float(value)  # type: ignore[arg-type]
    return value


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite an XLSX zip with fixed entry dates and a fixed 'modified' property."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _fix_modified(content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, content)
    return output.getvalue()


def _fix_modified(core: bytes) -> bytes:
    # openpyxl stamps the save time into <dcterms:modified>; replace it by the fixed date.
    text = core.decode("utf-8")
    start = text.find("<dcterms:modified")
    if start >= 0:
        open_end = text.find(">", start) + 1
        close = text.find("</dcterms:modified>", open_end)
        text = text[:open_end] + FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ") + text[close:]
    return text.encode("utf-8")


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
