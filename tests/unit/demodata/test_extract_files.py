import hashlib

import pyarrow as pa

from demodata.extract_files import write_csv, write_xlsx


def test_an_empty_table_is_written_as_a_header_only_csv(tmp_path):
    path = tmp_path / "empty.csv"
    write_csv(pa.table({"a": pa.array([], pa.string()), "b": pa.array([], pa.int64())}), path)
    assert path.read_text() == '"a","b"\n'


def test_csv_can_be_written_in_gbk(tmp_path):
    path = tmp_path / "gbk.csv"
    write_csv(pa.table({"阶段": ["赢单"]}), path, encoding="gbk")
    assert path.read_bytes().decode("gbk") == '"阶段"\n"赢单"\n'


def test_xlsx_files_are_byte_identical_whenever_they_are_written(tmp_path):
    table = pa.table({"product_sku": ["CLD-PRO"], "list_price": [48000.0]})
    write_xlsx(table, tmp_path / "a.xlsx")
    write_xlsx(table, tmp_path / "b.xlsx")
    digest = [hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in ("a.xlsx", "b.xlsx")]
    assert digest[0] == digest[1]
