import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestion.errors import IngestionError
from ingestion.mapping import PANDAS_DTYPES, _parse_datetimes, map_chunk, source_columns
from ingestion.profiles import load_profile
from ingestion.readers import RawChunk
from salesplan.entities import entity

MARCH = dt.date(2026, 3, 1)

CHINESE = """\
profile: cn_opportunities
entity: opportunities
pattern: "*.csv"
format: csv
encoding: gbk
columns:
  opportunity_id: 商机编号
  account_id: 客户编号
  created_at: 创建时间
  close_date: 预计成交日期
  stage: 商机阶段
  is_won: 是否赢单
  is_closed: 是否关闭
  amount: 金额
  product_line: 产品线
  region: 所属区域
  owner_rep_id: 负责人
  channel: 销售渠道
values:
  stage: {赢单: closed_won, 方案报价: proposal}
  region: {华东: EAST, 华南: SOUTH}
date_formats:
  created_at: "%Y/%m/%d %H:%M"
  close_date: "%Y/%m/%d"
booleans:
  true: [是]
  false: [否]
constants:
  currency: CNY
"""


@pytest.fixture
def chinese(tmp_path: Path):
    path = tmp_path / "cn_opportunities.yml"
    path.write_text(CHINESE, encoding="utf-8")
    return load_profile(path)


def chinese_rows(**changes: list[str]) -> pd.DataFrame:
    rows = {
        "商机编号": ["O1", "O2"],
        "客户编号": ["A1", "A2"],
        "创建时间": ["2026/03/02 09:15", "2026/01/30 17:00"],
        "预计成交日期": ["2026/03/20", "2026/05/01"],
        "商机阶段": ["赢单", "方案报价"],
        "是否赢单": ["是", "否"],
        "是否关闭": ["是", "否"],
        "金额": ["12000.50", " 800 "],
        "产品线": ["CLOUD", "AI"],
        "所属区域": ["华东", "华南"],
        "负责人": ["R1", "R2"],
        "销售渠道": ["", "partner"],
    }
    rows.update(changes)
    return pd.DataFrame(rows)


def mapped(profile, frame: pd.DataFrame, first_row: int = 1) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    provided = source_columns(list(frame.columns), profile, "2026-03/cn.csv")
    return map_chunk(RawChunk(frame, first_row), profile, provided, "2026-03/cn.csv", MARCH)


def failure(profile, frame: pd.DataFrame, first_row: int = 1) -> IngestionError:
    with pytest.raises(IngestionError) as caught:
        mapped(profile, frame, first_row)
    return caught.value


def test_a_chinese_export_maps_onto_canonical_typed_columns(chinese):
    frame = mapped(chinese, chinese_rows())
    assert list(frame.columns) == [*entity("opportunities").column_names, *(
        "_extract_month", "_source_file", "_source_row")]  # fmt: skip
    first = frame.iloc[0]
    assert first["created_at"] == pd.Timestamp("2026-03-02 09:15")
    assert first["close_date"] == pd.Timestamp("2026-03-20")
    assert (first["stage"], first["region"], first["currency"]) == ("closed_won", "EAST", "CNY")
    assert bool(first["is_won"]) is True
    assert frame["amount"].tolist() == [12000.5, 800.0]
    assert frame["_source_row"].tolist() == [1, 2]
    assert frame["_extract_month"].iloc[0] == pd.Timestamp(MARCH)


def test_values_already_in_canonical_form_pass_a_value_map(chinese):
    rows = chinese_rows(所属区域=["EAST", "华南"], 商机阶段=["closed_won", "方案报价"])
    frame = mapped(chinese, rows)
    assert frame["region"].tolist() == ["EAST", "SOUTH"]
    assert frame["stage"].tolist() == ["closed_won", "proposal"]


def test_a_region_label_the_map_does_not_know_is_an_error(chinese):
    error = failure(chinese, chinese_rows(所属区域=["华东", "华北"]))
    assert (error.problems[0].column, error.problems[0].value) == ("region", "华北")


def test_optional_columns_take_their_documented_default_when_missing_or_empty(chinese):
    frame = mapped(chinese, chinese_rows())
    # deal_type is not in the file; channel is mapped, but empty in the first row.
    assert frame["deal_type"].tolist() == ["new", "new"]
    assert frame["channel"].tolist() == ["direct", "partner"]
    assert frame["partner_id"].isna().all()


def test_every_typed_column_has_the_dtype_of_its_logical_type(chinese):
    frame = mapped(chinese, chinese_rows())
    for column in entity("opportunities").columns:
        assert frame[column.name].dtype == PANDAS_DTYPES[column.dtype], column.name


def test_a_missing_required_column_names_the_file_column_and_source_column(chinese):
    with pytest.raises(IngestionError) as caught:
        source_columns(["商机编号", "客户编号"], chinese, "2026-03/cn.csv")
    text = str(caught.value)
    assert "2026-03/cn.csv lacks required column(s)" in text
    assert "column close_date (source column '预计成交日期')" in text
    assert "The file's header is: '商机编号', '客户编号'" in text


def test_an_unparseable_date_names_file_row_column_source_column_and_value(chinese):
    error = failure(chinese, chinese_rows(创建时间=["2026/03/02 09:15", "2026-13-45"]))
    problem = error.problems[0]
    assert (problem.file, problem.row, problem.column) == ("2026-03/cn.csv", 2, "created_at")
    assert (problem.source_column, problem.value) == ("创建时间", "2026-13-45")
    assert "'%Y/%m/%d %H:%M'" in str(error)


def test_a_stage_label_the_value_map_does_not_know_is_an_error_with_a_hint(chinese):
    error = failure(chinese, chinese_rows(商机阶段=["赢单", "谈判中"]))
    assert error.problems[0].value == "谈判中"
    assert error.problems[0].row == 2
    assert "values.stage" in error.hint


def test_an_unknown_boolean_spelling_is_an_error(chinese):
    error = failure(chinese, chinese_rows(是否赢单=["是", "也许"]))
    assert (error.problems[0].column, error.problems[0].value) == ("is_won", "也许")


def test_a_number_with_a_currency_sign_is_an_error(chinese):
    error = failure(chinese, chinese_rows(金额=["¥12000", "800"]))
    assert (error.problems[0].column, error.problems[0].value) == ("amount", "¥12000")
    assert error.problems[0].row == 1


def test_row_numbers_continue_from_the_chunks_first_row(chinese):
    error = failure(chinese, chinese_rows(金额=["1", "x"]).iloc[[1]], first_row=7)
    assert error.problems[0].row == 7
    frame = mapped(chinese, chinese_rows(), first_row=101)
    assert frame["_source_row"].tolist() == [101, 102]


def test_errors_count_every_bad_row_but_list_only_the_first_ten(chinese):
    rows = chinese_rows()
    many = pd.concat([rows] * 15, ignore_index=True)
    many["金额"] = "bad"
    error = failure(chinese, many)
    assert error.total == 30
    assert len(error.problems) == 10
    assert "... and 20 more" in str(error)


@given(st.lists(st.decimals(min_value=0, max_value=10**12, places=2), min_size=1, max_size=20))
def test_decimal_text_maps_to_the_same_amount_in_cents(tmp_path_factory, amounts):
    folder = tmp_path_factory.mktemp("p")
    path = folder / "cn_opportunities.yml"
    path.write_text(CHINESE, encoding="utf-8")
    profile = load_profile(path)
    rows = pd.concat([chinese_rows().iloc[[1]]] * len(amounts), ignore_index=True)
    rows["金额"] = [str(amount) for amount in amounts]
    cents = np.round(mapped(profile, rows)["amount"].to_numpy() * 100).astype(np.int64)
    assert cents.tolist() == [int(amount * 100) for amount in amounts]


_FORMATS = ["%Y/%m/%d %H:%M", "%m/%d/%Y %I:%M %p", "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%Y%m%d"]


@given(
    st.lists(
        st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 12, 31)),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(_FORMATS),
    st.booleans(),
)
def test_fast_date_parsing_agrees_with_python_strptime(moments, fmt, unpadded):
    text = [moment.strftime(fmt) for moment in moments]
    if unpadded:  # exports such as Salesforce drop leading zeros: 3/5/2024 2:30 PM
        text = [value.replace("/0", "/").lstrip("0") for value in text]
    expected = [dt.datetime.strptime(value, fmt) for value in text]
    parsed = _parse_datetimes(pd.Series(text, dtype="string[pyarrow]"), fmt)
    assert parsed.tolist() == [pd.Timestamp(value) for value in expected]


@pytest.mark.parametrize(
    ("value", "fmt"),
    [("2026/02/30 09:00", "%Y/%m/%d %H:%M"), ("2025-02-29", None), ("2026-13-01", None)],
)
def test_fast_date_parsing_rejects_days_that_do_not_exist(value, fmt):
    parsed = _parse_datetimes(pd.Series([value], dtype="string[pyarrow]"), fmt)
    assert parsed.isna().all()
