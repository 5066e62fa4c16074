from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ingestion.errors import IngestionError
from ingestion.profiles import load_profile
from ingestion.readers import csv_lines_of_rows, read_chunks, sha256_of


def profile(tmp_path: Path, fmt: str = "csv", extra: str = ""):
    path = tmp_path / "p_reps.yml"
    path.write_text(
        f"profile: p_reps\nentity: reps\npattern: '*'\nformat: {fmt}\n{extra}", encoding="utf-8"
    )
    return load_profile(path)


def read_all(path: Path, source_profile, chunk_rows: int = 1000):
    header, chunks = read_chunks(path, source_profile, path.name, chunk_rows)
    return header, list(chunks)


def test_csv_chunks_number_data_rows_from_one_across_chunks(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b\n" + "".join(f"{i},x\n" for i in range(1, 8)), encoding="utf-8")
    header, chunks = read_all(path, profile(tmp_path), chunk_rows=3)
    assert header == ["a", "b"]
    assert [(c.first_row, len(c.frame)) for c in chunks] == [(1, 3), (4, 3), (7, 1)]
    assert chunks[1].frame["a"].tolist() == ["4", "5", "6"]


def test_csv_values_stay_text_and_empty_fields_are_empty_strings(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('a,b\n007,\n"1,5",x\n', encoding="utf-8")
    _, chunks = read_all(path, profile(tmp_path))
    assert chunks[0].frame.to_dict("list") == {"a": ["007", "1,5"], "b": ["", "x"]}


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("\ufeffrep_id,name\nR1,Ann\n".encode())
    header, chunks = read_all(path, profile(tmp_path))
    assert header == ["rep_id", "name"]
    assert list(chunks[0].frame.columns) == ["rep_id", "name"]


def test_a_gbk_file_is_read_with_its_profile_encoding(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("编号,姓名\nR1,王五\n".encode("gbk"))
    header, chunks = read_all(path, profile(tmp_path, extra="encoding: gbk\n"))
    assert header == ["编号", "姓名"]
    assert chunks[0].frame["姓名"].tolist() == ["王五"]


def test_a_header_only_file_has_no_rows(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b\n", encoding="utf-8")
    _, chunks = read_all(path, profile(tmp_path))
    assert len(chunks) == 1
    assert chunks[0].frame.empty
    assert list(chunks[0].frame.columns) == ["a", "b"]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_an_empty_file_is_an_error_naming_the_file(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(IngestionError, match=r"empty\.csv is empty"):
        read_all(path, profile(tmp_path))


def test_a_row_with_too_few_fields_is_located_by_row_and_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('a,b,c\n1,2,3\n"multi\nline",5,6\n7,8\n', encoding="utf-8")
    with pytest.raises(IngestionError) as caught:
        read_all(path, profile(tmp_path))
    problem = caught.value.problems[0]
    assert (problem.row, problem.line, problem.value) == (3, 5, "7,8")
    assert "expected 3 fields, found 2" in str(caught.value)


def test_a_row_with_too_many_fields_is_located(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    with pytest.raises(IngestionError, match="row 2 has 3 fields but the header has 2"):
        read_all(path, profile(tmp_path))


def test_a_file_truncated_inside_a_quoted_value_says_so(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('a,b\n1,2\n3,"cut off', encoding="utf-8")
    with pytest.raises(IngestionError) as caught:
        read_all(path, profile(tmp_path))
    assert caught.value.problems[0].row == 2
    assert "truncated" in str(caught.value)


def test_bytes_outside_the_encoding_are_located_by_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"a,b\n1,2\n" + "3,王\n".encode("gbk"))
    with pytest.raises(IngestionError) as caught:
        read_all(path, profile(tmp_path))
    error = caught.value
    assert "r.csv is not utf-8 text" in str(error)
    assert error.problems[0].line == 3
    assert "gbk" in error.hint


def test_a_duplicate_header_name_is_an_error(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,a\n1,2\n", encoding="utf-8")
    with pytest.raises(IngestionError, match="names column 'a' twice"):
        read_all(path, profile(tmp_path))


def test_lines_of_rows_follow_quoted_newlines(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('a\n"x\ny"\nz\n\nw\n', encoding="utf-8")
    assert csv_lines_of_rows(path, profile(tmp_path), {1, 2, 3}) == {1: 2, 2: 4, 3: 6}


def test_parquet_keeps_types_and_turns_decimals_into_floats(tmp_path):
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "amount": pa.array([decimal.Decimal("12.34")], pa.decimal128(18, 2)),
            "day": pa.array([pd.Timestamp("2026-03-01").date()], pa.date32()),
        }
    )
    path = tmp_path / "r.parquet"
    pq.write_table(table, path)
    _, chunks = read_all(path, profile(tmp_path, "parquet"))
    frame = chunks[0].frame
    assert frame["amount"].tolist() == [12.34]
    assert str(frame["day"].dtype).startswith("datetime64")


def test_xlsx_rows_keep_their_sheet_numbers_when_blank_rows_are_skipped(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["a", "b"], ["x", 1], [None, None], ["y", 2]):
        sheet.append(row)
    path = tmp_path / "r.xlsx"
    workbook.save(path)
    _, chunks = read_all(path, profile(tmp_path, "xlsx"))
    assert chunks[0].row_numbers == [1, 3]
    assert chunks[0].frame["a"].tolist() == ["x", "y"]


def test_sha256_is_of_the_file_bytes(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"abc")
    assert sha256_of(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_a_literal_quote_inside_an_unquoted_value_is_not_mistaken_for_truncation(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('a,b\n1,5" screen\n2,x\n', encoding="utf-8")
    _, chunks = read_all(path, profile(tmp_path))
    assert chunks[0].frame["b"].tolist() == ['5" screen', "x"]
