"""Manager workbooks written from a real published snapshot, read back with openpyxl.

The snapshot (``serving_fixture``) has five team managers (M001-M005) and one team without a
manager (NORTH-T2); every number in the files must equal the published tables.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from serving_fixture import Publication

from publishing import workbooks as workbooks_module
from publishing.report_data import ReportInputError
from publishing.report_i18n import metric_name
from publishing.workbooks import write_manager_workbooks

AUGUST = "2026-08"
MONTHS_AHEAD = ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]


@pytest.fixture(scope="module")
def workbooks(publication: Publication, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_manager_workbooks(
        publication.serving_db, AUGUST, tmp_path_factory.mktemp("workbooks")
    )


def query(publication: Publication, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(publication.serving_db), read_only=True) as connection:
        return connection.execute(sql).fetchdf()


def sheet_rows(path: Path, sheet: str, header_row: int = 1) -> pd.DataFrame:
    book = openpyxl.load_workbook(path)
    rows = list(book[sheet].iter_rows(min_row=header_row, values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def same(written: object, published: object) -> bool:
    """Equal, or both empty (a NULL is written as an empty cell)."""
    if pd.isna(published):
        return pd.isna(written)
    return written == float(published)


def shown(value: object) -> str:
    """About what Excel shows for a cell (numbers with separators, at most one decimal)."""
    return f"{value:,.1f}" if isinstance(value, float) else str(value)


METRICS = {metric_name(m, "en"): m for m in ("bookings", "collections", "new_customers")}


def test_every_manager_gets_one_workbook_and_reps_without_one_share_a_file(workbooks):
    assert [path.name for path in workbooks] == [
        "targets_2026-08_M001.xlsx",
        "targets_2026-08_M002.xlsx",
        "targets_2026-08_M003.xlsx",
        "targets_2026-08_M004.xlsx",
        "targets_2026-08_M005.xlsx",
        "targets_2026-08_unassigned.xlsx",
    ]
    teams = {path.name: set(sheet_rows(path, "Monthly targets")["Rep ID"]) for path in workbooks}
    assert teams["targets_2026-08_unassigned.xlsx"] == {"R0010", "R0012"}  # team NORTH-T2
    every_rep = [rep for reps in teams.values() for rep in reps]
    assert len(every_rep) == len(set(every_rep))  # no rep in two files


def test_monthly_targets_equal_the_published_rep_targets_and_the_plan(
    workbooks, publication: Publication
):
    published = query(
        publication,
        "SELECT rep_id, metric, period, period_target FROM rep_targets "
        "WHERE as_of_month = DATE '2026-08-01' AND scenario = 'official' AND grain = 'month' "
        "AND period_start >= DATE '2026-08-01'",
    ).set_index(["rep_id", "metric", "period"])["period_target"]
    plan = publication.results[AUGUST].rep_targets
    plan = plan[(plan["grain"] == "month") & (plan["period"] >= AUGUST)]
    from_plan = (plan["period_target"] / plan["minor_units"]).set_axis(
        pd.MultiIndex.from_frame(plan[["rep_id", "metric", "period"]])
    )
    seen = set()
    for path in workbooks:
        rows = sheet_rows(path, "Monthly targets")
        assert list(rows.columns) == ["Rep ID", "Name", "Metric", *MONTHS_AHEAD, "Total ahead"]
        for row in rows.itertuples(index=False):
            rep, metric = row[0], METRICS[row[2]]
            values = list(row[3:-1])
            for month, value in zip(MONTHS_AHEAD, values, strict=True):
                assert value == float(published[(rep, metric, month)]), (path.name, rep, month)
                assert value == pytest.approx(from_plan[(rep, metric, month)], abs=0.005)
                seen.add((rep, metric, month))
            assert row[-1] == pytest.approx(sum(values))
    assert seen == set(published.index)


def test_the_summary_equals_the_published_year_rows(workbooks, publication: Publication):
    published = query(
        publication,
        "SELECT rep_id, metric, adjusted_target, actual_to_date, forecast, p_attain "
        "FROM rep_targets WHERE as_of_month = DATE '2026-08-01' AND grain = 'year'",
    ).set_index(["rep_id", "metric"])
    for path in workbooks:
        rows = sheet_rows(path, "Summary", header_row=5)
        for row in rows.itertuples(index=False):
            expected = published.loc[(row[0], METRICS[row[4]])]
            assert row[5] == float(expected["adjusted_target"])
            assert row[6] == float(expected["actual_to_date"])
            assert row[7] == pytest.approx(row[5] - row[6])  # still to sell = open months
            assert same(row[8], expected["forecast"])
            assert same(row[9], expected["p_attain"])


def test_funnel_work_per_rep_sums_the_published_requirements(workbooks, publication):
    published = query(
        publication,
        "SELECT rep_id, metric, sum(required_won) AS won, "
        "sum(required_opportunities) AS opportunities, sum(required_leads) AS leads, "
        "sum(required_activities) AS activities, count_if(at_risk) > 0 AS any_late "
        "FROM funnel_requirements WHERE as_of_month = DATE '2026-08-01' "
        "AND scenario = 'official' AND level = 'rep_id' GROUP BY ALL",
    ).set_index(["rep_id", "metric"])
    written = pd.concat([sheet_rows(path, "Funnel work") for path in workbooks])
    sums = written.assign(metric=written["Metric"].map(METRICS)).groupby(["Rep ID", "metric"])
    totals = sums[["Won deals", "Opportunities", "Leads", "Activities"]].sum()
    assert set(totals.index) == set(published.index)
    for key, row in published.iterrows():
        assert totals.loc[key, "Won deals"] == pytest.approx(row["won"])
        assert totals.loc[key, "Opportunities"] == pytest.approx(row["opportunities"])
        assert totals.loc[key, "Leads"] == pytest.approx(row["leads"])
        assert totals.loc[key, "Activities"] == pytest.approx(row["activities"])
    # activity types planning.yml does not plan (emails, meetings) are left out
    assert {"Calls", "Visits", "Demos"} <= set(written.columns)
    assert not {"Emails", "Meetings"} & set(written.columns)


def test_late_work_is_flagged_and_written_in_red(workbooks):
    book = openpyxl.load_workbook(workbooks[0])
    sheet = book["Funnel work"]
    header = [cell.value for cell in sheet[1]]
    late_column = header.index("Too late (at risk)") + 1
    flags = {sheet.cell(row=r, column=late_column).value for r in range(2, sheet.max_row + 1)}
    assert flags == {"yes", "no"}
    for r in range(2, sheet.max_row + 1):
        colour = sheet.cell(row=r, column=1).font.color
        rgb = colour.rgb if colour is not None else None
        is_red = isinstance(rgb, str) and rgb.endswith("C0392B")  # whatever the alpha byte
        assert is_red == (sheet.cell(row=r, column=late_column).value == "yes")


def test_sheets_have_frozen_headers_number_formats_filters_and_room_for_their_content(
    workbooks,
):
    book = openpyxl.load_workbook(workbooks[0])
    assert book.sheetnames == ["Summary", "Monthly targets", "Funnel work"]
    assert book["Summary"].freeze_panes == "C6"
    assert book["Monthly targets"].freeze_panes == "D2"
    assert book["Funnel work"].freeze_panes == "C2"
    targets = book["Monthly targets"]
    assert targets.auto_filter.ref == f"A1:I{targets.max_row}"
    assert targets["D2"].number_format == "#,##0"
    assert book["Funnel work"]["H2"].number_format == "#,##0.0"
    assert book["Summary"]["J6"].number_format == "0%"
    for sheet in book:
        for cells in sheet.iter_cols(min_row=2 if sheet.title != "Summary" else 5):
            letter = cells[0].column_letter
            longest = max(len(shown(c.value)) for c in cells if c.value is not None)
            assert sheet.column_dimensions[letter].width >= min(longest, 38), (sheet.title, letter)


def test_writing_a_version_again_gives_the_same_bytes_and_drops_stale_files(
    publication: Publication, tmp_path: Path
):
    first = write_manager_workbooks(publication.serving_db, AUGUST, tmp_path)
    before = {path.name: path.read_bytes() for path in first}
    (tmp_path / "targets_2026-08_M999.xlsx").write_bytes(b"a manager who left")
    (tmp_path / "targets_2026-07_M001.xlsx").write_bytes(b"another month")
    again = write_manager_workbooks(publication.serving_db, AUGUST, tmp_path)
    assert {path.name: path.read_bytes() for path in again} == before
    assert not (tmp_path / "targets_2026-08_M999.xlsx").exists()
    assert (tmp_path / "targets_2026-07_M001.xlsx").read_bytes() == b"another month"
    assert not list(tmp_path.glob(".*.tmp"))


def test_chinese_workbooks_have_chinese_sheets_headers_and_metric_names(publication, tmp_path):
    path = write_manager_workbooks(publication.serving_db, AUGUST, tmp_path, lang="zh")[0]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["概览", "月度目标", "漏斗工作"]
    assert book["月度目标"]["A1"].value == "销售编号"
    assert book["月度目标"]["C2"].value == "签约额"
    assert book["概览"]["A1"].value == "Manager EAST-T1 (M001) 团队月度目标与漏斗工作"


def test_without_a_published_dim_rep_managers_are_named_by_id(publication, tmp_path):
    serving = tmp_path / "no_dim_rep.duckdb"
    with duckdb.connect(str(serving)) as connection:
        connection.execute(f"ATTACH '{publication.serving_db}' AS src (READ_ONLY)")
        for table in ("rep_targets", "funnel_requirements"):
            connection.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table}")
    path = write_manager_workbooks(serving, AUGUST, tmp_path / "out")[0]
    title = openpyxl.load_workbook(path)["Summary"]["A1"].value
    assert title == "Monthly targets and funnel work, team of M001"


def test_a_serving_file_without_rep_targets_is_named(tmp_path: Path):
    serving = tmp_path / "salesplan.duckdb"
    duckdb.connect(str(serving)).close()
    with pytest.raises(ReportInputError, match=re.escape(f"{serving}: table 'rep_targets'")):
        write_manager_workbooks(serving, AUGUST, tmp_path / "out")


def test_a_month_without_rep_targets_lists_the_published_months(publication, tmp_path):
    with pytest.raises(ReportInputError, match=r"2026-09.*'2026-07', '2026-08'"):
        write_manager_workbooks(publication.serving_db, "2026-09", tmp_path)


def test_work_without_a_lead_stage_leaves_the_lead_month_empty(publication, tmp_path):
    # Regression: renewal and expansion funnels have no lead stage, so their lead_start_month
    # is NULL; the small demo's first run crashed on it.
    serving = tmp_path / "no_leads.duckdb"
    with duckdb.connect(str(serving)) as connection:
        connection.execute(f"ATTACH '{publication.serving_db}' AS src (READ_ONLY)")
        for table in ("rep_targets", "funnel_requirements"):
            connection.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table}")
        connection.execute(
            "UPDATE funnel_requirements SET lead_start_month = NULL WHERE rep_id = 'R0001'"
        )
    path = write_manager_workbooks(serving, AUGUST, tmp_path / "out")[0]
    rows = sheet_rows(path, "Funnel work")
    leads_month = rows.set_index("Rep ID")["Generate leads in"]
    assert leads_month.loc["R0001"].isna().all()
    assert leads_month.loc["R0003"].notna().all()


def test_workbooks_written_by_two_processes_are_the_same_files(
    publication: Publication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    alone = write_manager_workbooks(publication.serving_db, AUGUST, tmp_path / "alone")
    monkeypatch.setattr(workbooks_module, "PARALLEL_FROM_ROWS", 1)
    shared = write_manager_workbooks(publication.serving_db, AUGUST, tmp_path / "shared", n_jobs=2)
    assert [path.name for path in shared] == [path.name for path in alone]
    assert [path.read_bytes() for path in shared] == [path.read_bytes() for path in alone]


def test_a_worker_that_fails_fails_the_whole_write(
    publication: Publication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(workbooks_module, "PARALLEL_FROM_ROWS", 1)
    out = tmp_path / "out"
    out.mkdir()
    august = dt.date(2026, 8, 1)
    teams = workbooks_module.read_teams(publication.serving_db, august)
    jobs = [(team, out / workbooks_module.workbook_name(august, team.manager_id)) for team in teams]
    mine, workers = workbooks_module._shares(jobs, 2)
    assert mine
    assert workers
    # The worker's share cannot be written: its files' names are taken by folders.
    for _, path in workers:
        path.mkdir()
    with pytest.raises(IsADirectoryError):
        write_manager_workbooks(publication.serving_db, AUGUST, out, n_jobs=2)
    for _, path in mine:  # the share written here is complete
        assert openpyxl.load_workbook(path).sheetnames == [
            "Summary",
            "Monthly targets",
            "Funnel work",
        ]


def test_n_jobs_must_be_positive(publication: Publication, tmp_path: Path):
    with pytest.raises(ValueError, match="n_jobs must be >= 1, got 0"):
        write_manager_workbooks(publication.serving_db, AUGUST, tmp_path, n_jobs=0)
