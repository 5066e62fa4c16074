"""Every bad input of issue 2, one test each.

Each gives a clear error naming file, row, column and value, and leaves the warehouse byte for
byte as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from tiny_landing import DELTA_MONTH, FIRST_MONTH, write_fxiaoke

from ingestion.errors import IngestionError, ProfileError
from ingestion.load import ingest
from salesplan.home import SalesplanHome

Snapshot = Callable[[SalesplanHome], dict[str, object]]


def refused(
    home: SalesplanHome, snapshot: Snapshot, entity: str, month: str = DELTA_MONTH
) -> IngestionError:
    before = snapshot(home)
    with pytest.raises(IngestionError) as caught:
        ingest(home, [month], entities=[entity])
    assert snapshot(home) == before, "a failed load changed the warehouse"
    return caught.value


def delta(home: SalesplanHome, relative: str) -> Path:
    return home.extract_folder(DELTA_MONTH) / relative


def assert_names(error: IngestionError, file: str, row: int | None, column: str, value: object):
    problem = error.problems[0]
    assert problem.file == file
    assert problem.row == row
    assert problem.column == column
    assert problem.value == value
    text = str(error)
    assert file in text
    assert f"column {column}" in text
    if row is not None:
        assert f"row {row}" in text
    assert repr(value) in text or str(value) in text
    assert "What to do:" in text


PAYMENTS = f"{DELTA_MONTH}/erp/payments_{DELTA_MONTH}.parquet"
FXIAOKE = f"{DELTA_MONTH}/fxiaoke/商机导出_{DELTA_MONTH}.csv"


def rewrite_payments(home: SalesplanHome, **changes: object) -> None:
    path = delta(home, f"erp/payments_{DELTA_MONTH}.parquet")
    frame = pd.read_parquet(path)
    for column, value in changes.items():
        if value is None:
            frame = frame.drop(columns=[column])
        else:
            frame[column] = value
    frame.to_parquet(path, index=False)


def test_a_missing_required_column_names_file_and_column(loaded, snapshot_warehouse):
    rewrite_payments(loaded, paid_at=None)
    error = refused(loaded, snapshot_warehouse, "payments")
    problem = error.problems[0]
    assert (problem.file, problem.column) == (PAYMENTS, "paid_at")
    assert "lacks required column" in str(error)
    assert "payment_id', 'invoice_id', 'amount', 'currency'" in str(error)


def test_an_unparseable_date_names_file_row_column_and_value(loaded, snapshot_warehouse):
    path = delta(loaded, f"fxiaoke/商机导出_{DELTA_MONTH}.csv")
    text = path.read_text(encoding="gbk").replace("2026/02/03 09:00", "2026/02/30 09:00")
    path.write_text(text, encoding="gbk")
    error = refused(loaded, snapshot_warehouse, "opportunities")
    assert_names(error, FXIAOKE, 1, "created_at", "2026/02/30 09:00")
    assert error.problems[0].source_column == "创建时间"
    assert error.problems[0].line == 2


def test_a_negative_amount_names_file_row_column_and_value(loaded, snapshot_warehouse):
    rewrite_payments(loaded, amount=[3000.0, -12000.0])
    error = refused(loaded, snapshot_warehouse, "payments")
    assert_names(error, PAYMENTS, 2, "amount", -12000.0)
    assert "amount_non_negative" in str(error)


def test_a_duplicate_key_names_both_rows(loaded, snapshot_warehouse):
    path = delta(loaded, f"crm/leads_{DELTA_MONTH}.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    pd.concat([frame, frame]).to_csv(path, index=False)
    error = refused(loaded, snapshot_warehouse, "leads")
    assert "key_unique" in str(error)
    assert [(p.row, p.column, p.value) for p in error.problems] == [
        (1, "lead_id", "L3"),
        (2, "lead_id", "L3"),
    ]
    assert f"{DELTA_MONTH}/crm/leads_{DELTA_MONTH}.csv, row 2 (line 3)" in str(error)


def test_a_duplicate_key_across_files_and_chunks_is_found_in_the_warehouse(
    loaded, snapshot_warehouse
):
    # O4 arrives from both the Salesforce and the Chinese export; one row per chunk.
    frame = pd.DataFrame(
        {
            "opportunity_id": ["O4"],
            "account_id": ["A2"],
            "created_at": ["2026-03-02 16:45:00"],
            "close_date": ["2026-06-30"],
            "stage": ["prospecting"],
            "is_won": [False],
            "is_closed": [False],
            "amount": [100.0],
            "product_line": ["AI"],
            "region": ["EAST"],
            "channel": ["direct"],
            "partner_id": [""],
            "deal_type": ["new"],
            "owner_rep_id": ["R2"],
        }
    )
    write_fxiaoke(frame, delta(loaded, f"fxiaoke/商机导出_{DELTA_MONTH}.csv"))
    before = snapshot_warehouse(loaded)
    with pytest.raises(IngestionError) as caught:
        ingest(loaded, [DELTA_MONTH], entities=["opportunities"], chunk_rows=1)
    assert snapshot_warehouse(loaded) == before
    assert "key_unique" in str(caught.value)
    assert {p.file for p in caught.value.problems} == {
        FXIAOKE,
        f"{DELTA_MONTH}/salesforce/Opportunity_Report_{DELTA_MONTH}.csv",
    }


def test_a_stage_label_the_value_map_does_not_know_names_the_label(loaded, snapshot_warehouse):
    path = delta(loaded, f"fxiaoke/商机导出_{DELTA_MONTH}.csv")
    path.write_text(path.read_text(encoding="gbk").replace(",赢单,", ",谈判中,"), encoding="gbk")
    error = refused(loaded, snapshot_warehouse, "opportunities")
    assert_names(error, FXIAOKE, 1, "stage", "谈判中")
    assert "values.stage in profiles/fxiaoke_opportunities.yml" in str(error)


def test_an_empty_file_is_named(loaded, snapshot_warehouse):
    delta(loaded, f"crm/leads_{DELTA_MONTH}.csv").write_bytes(b"")
    error = refused(loaded, snapshot_warehouse, "leads")
    assert f"{DELTA_MONTH}/crm/leads_{DELTA_MONTH}.csv is empty" in str(error)
    assert "header row" in str(error)


def test_a_ragged_row_names_its_row_line_and_text(loaded, snapshot_warehouse):
    path = delta(loaded, f"crm/activities_{DELTA_MONTH}.csv")
    path.write_text(path.read_text(encoding="utf-8") + "AC9,R3,call\n", encoding="utf-8")
    error = refused(loaded, snapshot_warehouse, "activities")
    problem = error.problems[0]
    assert (problem.row, problem.line, problem.value) == (2, 3, "AC9,R3,call")
    assert "expected 6 fields, found 3" in str(error)


def test_a_truncated_file_says_where_it_ends(loaded, snapshot_warehouse):
    path = delta(loaded, f"crm/activities_{DELTA_MONTH}.csv")
    path.write_bytes(path.read_bytes()[:-25])
    error = refused(loaded, snapshot_warehouse, "activities")
    assert error.problems[0].row == 1
    assert "truncated" in str(error)


def test_a_file_in_the_wrong_encoding_is_located_by_line(loaded, snapshot_warehouse):
    path = delta(loaded, f"crm/leads_{DELTA_MONTH}.csv")
    text = path.read_text(encoding="utf-8").replace("referral", "转介绍")
    path.write_bytes(text.encode("gbk"))
    error = refused(loaded, snapshot_warehouse, "leads")
    assert "is not utf-8 text" in str(error)
    assert error.problems[0].line == 2
    assert "gbk or gb18030" in str(error)


def test_a_gbk_profile_given_a_utf8_file_points_at_the_encoding(loaded, snapshot_warehouse):
    path = delta(loaded, f"fxiaoke/商机导出_{DELTA_MONTH}.csv")
    path.write_text(path.read_text(encoding="gbk"), encoding="utf-8")
    error = refused(loaded, snapshot_warehouse, "opportunities")
    assert f"{FXIAOKE} is not gbk text" in str(error)
    assert error.problems[0].line == 1


def test_an_extract_of_a_later_month_names_the_dates_that_give_it_away(loaded, snapshot_warehouse):
    rewrite_payments(loaded, paid_at=pd.to_datetime(["2026-04-02", "2026-04-03"]))
    error = refused(loaded, snapshot_warehouse, "payments")
    assert_names(error, PAYMENTS, 1, "paid_at", pd.Timestamp("2026-04-02"))
    assert "right extracts/<YYYY-MM>/ folder" in str(error)


def test_an_extract_of_an_earlier_month_is_recognised_by_its_checksum(loaded, snapshot_warehouse):
    source = loaded.extract_folder(FIRST_MONTH) / f"erp/payments_{FIRST_MONTH}.parquet"
    shutil.copy(source, delta(loaded, f"erp/payments_{DELTA_MONTH}.parquet"))
    error = refused(loaded, snapshot_warehouse, "payments")
    assert error.problems[0].file == PAYMENTS
    assert f"is extract month {FIRST_MONTH}" in str(error)


def test_an_orphan_reference_names_the_payment_and_the_unknown_invoice(loaded, snapshot_warehouse):
    ingest(loaded, [DELTA_MONTH], entities=["regions", "accounts", "products", "partners"])
    ingest(loaded, [DELTA_MONTH], entities=["reps", "opportunities", "order_lines", "invoices"])
    rewrite_payments(loaded, invoice_id=["INV1", "INV9"])
    error = refused(loaded, snapshot_warehouse, "payments")
    assert_names(error, PAYMENTS, 2, "invoice_id", "INV9")
    assert "invoice_id_reference" in str(error)


def test_a_missing_extract_folder_is_named(loaded, snapshot_warehouse):
    error = refused(loaded, snapshot_warehouse, "payments", month="2026-04")
    assert "landing/extracts/2026-04/ is missing" in str(error)
    assert "as-of 2026-05" in str(error)


def test_a_missing_file_of_a_non_optional_profile_is_named(loaded, snapshot_warehouse):
    delta(loaded, f"erp/payments_{DELTA_MONTH}.parquet").unlink()
    error = refused(loaded, snapshot_warehouse, "payments")
    assert "erp/payments_*.parquet" in str(error)
    assert "profiles/erp_payments.yml" in str(error)


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (
            ("  amount: 商机金额(元)\n", "  amount: 商机金额(元)\n  margin: 毛利\n"),
            "columns.margin",
        ),
        (("  close_date: 预计成交日期\n", ""), "columns.close_date"),
        (('close_date: "%Y/%m/%d"', 'close_date: "%Y/%m/%Q"'), "date_formats.close_date"),
    ],
    ids=["unknown canonical column", "missing required mapping", "bad date format"],
)
def test_a_bad_profile_is_rejected_before_any_data_is_read(loaded, snapshot_warehouse, edit, key):
    profile = loaded.profiles / "fxiaoke_opportunities.yml"
    profile.write_text(profile.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    # The data is broken too; the profile error must come first.
    delta(loaded, f"fxiaoke/商机导出_{DELTA_MONTH}.csv").write_bytes(b"")
    error = refused(loaded, snapshot_warehouse, "opportunities")
    assert isinstance(error, ProfileError)
    assert f"profiles/fxiaoke_opportunities.yml, key {key}" in str(error)


def test_a_failed_first_load_leaves_no_warehouse_tables(tiny_home, snapshot_warehouse):
    delta_file = tiny_home.extract_folder(FIRST_MONTH) / f"crm/reps_{FIRST_MONTH}.csv"
    delta_file.write_bytes(b"")
    error = refused(tiny_home, snapshot_warehouse, "reps", month=FIRST_MONTH)
    assert "is empty" in str(error)
