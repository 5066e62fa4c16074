"""The report and the workbooks on a real publication: the small demo re-planned end to end.

``salesplan run`` (``pipelines.runner.replan``) for as-of 2026-10 and 2026-11 on the small
demo: ingest, checks, dbt, forecasts, re-decomposition and publication, so the serving file is
the one BI and leadership would read. About four minutes on two cores, hence ``slow``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest

import demodata
from pipelines.runner import replan
from publishing.report import CHART_IDS, render_report, report_charts
from publishing.report_data import load_report_data
from publishing.report_summary import headline
from publishing.workbooks import write_manager_workbooks
from salesplan.home import HOME_ENV_VAR, SalesplanHome, resolve_home

pytestmark = pytest.mark.slow

AS_OF = "2026-11"


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> SalesplanHome:
    home = resolve_home(tmp_path_factory.mktemp("small_demo_replan")).ensure()
    demodata.generate(home.root, size="small")
    # The Dagster resources find the home through the environment, as under `salesplan --home`.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(HOME_ENV_VAR, str(home.root))
        for month in ("2026-10", AS_OF):
            replan(home, month, progress=lambda line: None)
    return home


def serving(home: SalesplanHome) -> Path:
    return home.published / "salesplan.duckdb"


def test_the_report_of_a_real_publication_draws_every_chart(demo_home, tmp_path):
    data = load_report_data(serving(demo_home), AS_OF)
    assert data.previous_as_of is not None  # October's version: the waterfall exists
    drawn = [chart.div_id for chart in report_charts(data, "en")]
    assert drawn == [div_id for div_id in CHART_IDS if div_id in drawn]
    assert {"chart-company", "chart-regions", "chart-changes", "chart-funnel"} <= set(drawn)
    with duckdb.connect(str(serving(demo_home)), read_only=True) as connection:
        year = connection.execute(
            "SELECT adjusted_target, actual_to_date, forecast FROM target_plan "
            "WHERE as_of_month = DATE '2026-11-01' AND scenario = 'official' "
            "AND metric = 'bookings' AND node = 'company' AND grain = 'year'"
        ).fetchone()
    figures = headline(data)
    assert (figures.year_target, figures.actual_to_date, figures.forecast) == tuple(
        float(value) for value in year
    )
    for lang in ("zh", "en"):
        first = render_report(serving(demo_home), AS_OF, lang, tmp_path / f"a_{lang}.html")
        again = render_report(serving(demo_home), AS_OF, lang, tmp_path / f"b_{lang}.html")
        assert first.read_bytes() == again.read_bytes()


def test_every_manager_of_the_demo_gets_their_reps_targets(demo_home, tmp_path):
    paths = write_manager_workbooks(serving(demo_home), AS_OF, tmp_path)
    with duckdb.connect(str(serving(demo_home)), read_only=True) as connection:
        managers, rows = connection.execute(
            "SELECT count(DISTINCT coalesce(manager_id, 'unassigned')), "
            "count(DISTINCT (rep_id, metric)) FROM rep_targets "
            "WHERE as_of_month = DATE '2026-11-01' AND scenario = 'official'"
        ).fetchone()
        total = connection.execute(
            "SELECT sum(period_target) FROM rep_targets WHERE as_of_month = DATE '2026-11-01' "
            "AND scenario = 'official' AND grain = 'month' AND period >= '2026-11' "
            "AND metric = 'bookings'"
        ).fetchone()[0]
    assert len(paths) == managers
    written_rows = 0
    written_total = 0.0
    for path in paths:
        sheet = openpyxl.load_workbook(path)["Monthly targets"]
        for row in sheet.iter_rows(min_row=2, values_only=True):
            written_rows += 1
            if row[2] == "Bookings":
                written_total += row[-1]
    assert written_rows == rows
    assert written_total == pytest.approx(float(total), abs=0.01)
