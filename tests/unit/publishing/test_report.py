"""The leadership report, rendered from a real published snapshot of two plan versions.

The snapshot (``serving_fixture``) holds July and August 2026 of the synthetic business,
forecast by the real engine and re-planned by the real planner; these tests check that the
report reads the August version, draws every chart, shows the published numbers, and is one
deterministic, self-contained file.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from serving_fixture import EXAMPLE, Publication

from pipelines.defs.targets.tables import create_tables, insert, to_published
from planning import build_plan, load_config
from planning.synthetic import synthetic_inputs
from publishing.report import (
    CHART_IDS,
    alert_label,
    build_report_html,
    render_report,
    report_charts,
)
from publishing.report_data import COMPANY, ReportInputError, load_report_data
from publishing.report_i18n import format_money
from publishing.report_summary import (
    COMPONENTS,
    funnel_by_region,
    headline,
    region_changes,
    remaining_change,
)
from salesplan.months import parse_month

AUGUST = "2026-08"
JULY = "2026-07"


@pytest.fixture(scope="module")
def august(publication: Publication):
    return load_report_data(publication.serving_db, AUGUST)


def query(publication: Publication, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(publication.serving_db), read_only=True) as connection:
        return connection.execute(sql).fetchdf()


# --------------------------------------------------------------------------- the document


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_is_one_file_that_loads_nothing_from_the_network(
    publication: Publication, tmp_path: Path, lang: str
):
    path = render_report(publication.serving_db, AUGUST, lang, tmp_path / "r" / "report.html")
    document = path.read_text(encoding="utf-8")
    assert document.startswith("<!DOCTYPE html>")
    assert "plotly.js v" in document  # inlined, not fetched
    assert not re.search(r"<script[^>]+src=", document)
    assert not re.search(r"<link[^>]+href=", document)
    assert "@import" not in document
    assert not re.search(r"url\(\s*['\"]?https?:", document)
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]  # no temp file left


def test_rendering_the_same_version_twice_gives_the_same_bytes(
    publication: Publication, tmp_path: Path
):
    first = render_report(publication.serving_db, AUGUST, "zh", tmp_path / "a.html").read_bytes()
    second = render_report(publication.serving_db, AUGUST, "zh", tmp_path / "b.html").read_bytes()
    assert first == second
    english = render_report(publication.serving_db, AUGUST, "en", tmp_path / "c.html")
    assert english.read_bytes() != first


def test_every_chart_has_its_fixed_id_and_drawn_data(august):
    charts = report_charts(august, "en")
    assert [chart.div_id for chart in charts] == list(CHART_IDS)
    for chart in charts:
        assert chart.figure.data, chart.div_id
        for trace in chart.figure.data:
            values = trace.x if trace.type not in ("scatter", "waterfall") else trace.y
            assert values is not None, (chart.div_id, trace.name)
            assert len(values) > 0, (chart.div_id, trace.name)
    document = build_report_html(august, "en")
    for div_id in CHART_IDS:
        assert document.count(f'id="{div_id}"') == 1


def test_the_headline_shows_the_published_company_year(publication: Publication, august):
    row = query(
        publication,
        "SELECT * FROM target_plan WHERE as_of_month = DATE '2026-08-01' AND scenario = "
        "'official' AND metric = 'bookings' AND node = 'company' AND grain = 'year'",
    ).iloc[0]
    figures = headline(august)
    assert figures.year_target == float(row["adjusted_target"])
    assert figures.actual_to_date == float(row["actual_to_date"])
    assert figures.forecast == float(row["forecast"])
    assert figures.gap == float(row["gap"])
    assert figures.p_attain == float(row["p_attain"])
    assert figures.remaining == pytest.approx(
        float(row["adjusted_target"]) - float(row["actual_to_date"])
    )
    assert figures.open_months == 5  # August to December of a calendar fiscal year
    document = build_report_html(august, "zh")
    assert format_money(figures.year_target, "zh") in document
    assert format_money(figures.actual_to_date, "zh") in document
    assert f"{figures.p_attain:.0%}" in document


def test_the_headline_names_the_as_of_month_and_the_data_cutoff(august):
    english = build_report_html(august, "en")
    assert "Aug 2026" in english
    assert "31 Jul 2026" in english
    chinese = build_report_html(august, "zh")
    assert "2026年8月" in chinese
    assert "2026年7月31日" in chinese
    assert "亿" in chinese or "万" in chinese
    assert "CNY " in english


def test_the_regions_are_the_published_regions_largest_target_first(publication, august):
    rows = query(
        publication,
        "SELECT region, adjusted_target FROM target_plan WHERE as_of_month = DATE '2026-08-01' "
        "AND metric = 'bookings' AND level = 'region' AND grain = 'year' "
        "ORDER BY adjusted_target DESC",
    )
    assert august.regions == rows["region"].tolist()


def test_the_forecast_intervals_are_the_published_ones(publication, august):
    published = query(
        publication,
        "SELECT month, yhat, yhat_lower_95, yhat_upper_80 FROM forecast_monthly "
        "WHERE as_of_month = DATE '2026-08-01' AND metric = 'bookings' "
        "AND level = 'company' AND month < DATE '2027-01-01' ORDER BY month",
    )
    drawn = august.forecast[august.forecast["node"] == COMPANY].reset_index(drop=True)
    assert [m.isoformat() for m in drawn["month"]] == [f"2026-{m:02d}-01" for m in range(8, 13)]
    assert drawn["yhat"].tolist() == published["yhat"].tolist()
    assert drawn["yhat_lower_95"].tolist() == published["yhat_lower_95"].tolist()
    assert drawn["yhat_upper_80"].tolist() == published["yhat_upper_80"].tolist()
    assert (drawn["yhat_lower_95"] <= drawn["yhat"]).all()
    assert (drawn["yhat"] <= drawn["yhat_upper_80"]).all()


# --------------------------------------------------------------------------- changes and work


def test_the_waterfall_of_the_months_ahead_adds_up_and_matches_the_planner(
    publication: Publication, august
):
    as_of = parse_month(AUGUST)
    plan = publication.results[AUGUST].plan_changes
    for measure in ("target", "required_opportunities"):
        parts = remaining_change(august.changes, as_of, COMPANY, measure)
        assert parts["previous"] + sum(parts[c] for c in COMPONENTS) == pytest.approx(
            parts["current"], abs=1e-6
        )
        assert parts["total_change"] == pytest.approx(parts["current"] - parts["previous"])
        rows = plan[
            (plan["metric"] == "bookings")
            & (plan["node"] == COMPANY)
            & (plan["measure"] == measure)
            & (plan["grain"] == "month")
            & (plan["period"] >= AUGUST)
        ]
        minor = rows["minor_units"].iloc[0]
        for column in ("previous", *COMPONENTS, "current"):
            assert parts[column] == pytest.approx(rows[column].sum() / minor, abs=1e-6), column
    # August's lower win rates raise the opportunities needed; targets do not depend on rates.
    assert (
        remaining_change(august.changes, as_of, COMPANY, "required_opportunities")["rate_changes"]
        > 0
    )
    assert remaining_change(august.changes, as_of, COMPANY, "target")["rate_changes"] == 0


def test_the_manager_lock_shows_as_a_manual_adjustment_of_its_region(august):
    by_region = region_changes(august.changes, parse_month(AUGUST)).set_index("region")
    assert by_region.loc["EAST", "manual_adjustments"] > 0
    # the lock is re-spread over the other regions: the company total does not move
    assert by_region["manual_adjustments"].sum() == pytest.approx(0.0, abs=0.01)


def test_funnel_work_per_region_sums_the_published_requirements(publication, august):
    published = query(
        publication,
        "SELECT region, at_risk, sum(required_won) AS won, sum(required_leads) AS leads "
        "FROM funnel_requirements WHERE as_of_month = DATE '2026-08-01' "
        "AND metric = 'bookings' AND level = 'region' GROUP BY ALL ORDER BY ALL",
    )
    drawn = funnel_by_region(august.funnel).set_index(["region", "at_risk"])
    for row in published.itertuples(index=False):
        assert drawn.loc[(row.region, row.at_risk), "required_won"] == pytest.approx(row.won)
        assert drawn.loc[(row.region, row.at_risk), "required_leads"] == pytest.approx(row.leads)
    # work for August closes that had to start months ago is late
    assert published["at_risk"].any()
    assert (~published["at_risk"]).any()


def test_alert_labels_name_the_place_the_seller_and_the_period():
    row = pd.Series(
        {
            "node": "region=EAST/product_line=CLOUD/channel=direct/rep_id=R0012",
            "metric": "bookings",
            "period": "2026-Q3",
        }
    )
    names = {"R0012": "王芳"}
    assert alert_label(row, names, "zh") == "华东 › 云服务 › 直销 › 王芳 (R0012) · 签约额 · 2026-Q3"
    assert alert_label(row, {}, "en") == "East › CLOUD › direct › R0012 · Bookings · 2026-Q3"
    company = pd.Series({"node": "company", "metric": "collections", "period": "2026"})
    assert alert_label(company, {}, "en") == "Company · Collections · 2026"


# --------------------------------------------------------------------------- other versions


def test_the_first_version_of_a_year_says_there_is_nothing_to_compare(
    publication: Publication, tmp_path: Path
):
    data = load_report_data(publication.serving_db, JULY)
    assert data.changes is None
    charts = [chart.div_id for chart in report_charts(data, "en")]
    assert "chart-changes" not in charts
    document = build_report_html(data, "en")
    assert "no earlier plan version in this fiscal year" in document
    assert 'id="chart-changes"' not in document


def test_a_metric_without_forecast_intervals_draws_the_plans_point_forecast(publication):
    data = load_report_data(publication.serving_db, AUGUST, metric="new_customers")
    assert data.forecast is None
    assert data.unit == "count"
    document = build_report_html(data, "en")
    assert "no forecast intervals for this metric" in document
    assert 'id="chart-company"' in document


# --------------------------------------------------------------------------- bad input


def test_a_missing_serving_file_is_named(tmp_path: Path):
    missing = tmp_path / "published" / "salesplan.duckdb"
    with pytest.raises(ReportInputError, match=re.escape(str(missing))):
        render_report(missing, AUGUST, "en", tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_a_month_that_was_not_published_lists_the_published_ones(publication, tmp_path):
    with pytest.raises(ReportInputError, match=r"2026-09.*'2026-07', '2026-08'"):
        render_report(publication.serving_db, "2026-09", "en", tmp_path / "report.html")


def test_an_unknown_metric_lists_the_metrics_of_the_version(publication):
    with pytest.raises(ReportInputError, match=r"'revenue'.*official/bookings"):
        load_report_data(publication.serving_db, AUGUST, metric="revenue")


def test_an_unsupported_language_is_refused(publication, tmp_path):
    with pytest.raises(ValueError, match="'fr' is not supported; use one of zh, en"):
        render_report(publication.serving_db, AUGUST, "fr", tmp_path / "r.html")  # type: ignore[arg-type]


def test_a_missing_column_names_the_table_and_the_column(publication, tmp_path):
    broken = tmp_path / "broken.duckdb"
    with duckdb.connect(str(broken)) as connection:
        connection.execute(f"ATTACH '{publication.serving_db}' AS src (READ_ONLY)")
        connection.execute(
            "CREATE TABLE target_plan AS SELECT * EXCLUDE (p_attain) FROM src.target_plan"
        )
    with pytest.raises(
        ReportInputError,
        match=r"broken\.duckdb: table 'target_plan' lacks column\(s\) \['p_attain'\]",
    ):
        load_report_data(broken, AUGUST)


def test_a_probability_outside_zero_to_one_names_the_row_column_and_value(publication, tmp_path):
    broken = tmp_path / "broken.duckdb"
    with duckdb.connect(str(broken)) as connection:
        connection.execute(f"ATTACH '{publication.serving_db}' AS src (READ_ONLY)")
        connection.execute("CREATE TABLE target_plan AS SELECT * FROM src.target_plan")
        connection.execute(
            "UPDATE target_plan SET p_attain = 1.7 WHERE node = 'region=EAST' AND grain = 'year'"
        )
    with pytest.raises(
        ReportInputError,
        match=r"target_plan row \(node 'region=EAST', period 2026\), column 'p_attain': value 1\.7",
    ):
        load_report_data(broken, AUGUST)


# --------------------------------------------------------------------------- thin publications


def test_a_publication_with_only_target_plan_renders_with_empty_sections(
    publication: Publication, tmp_path: Path
):
    thin = tmp_path / "thin.duckdb"
    with duckdb.connect(str(thin)) as connection:
        connection.execute(f"ATTACH '{publication.serving_db}' AS src (READ_ONLY)")
        connection.execute("CREATE TABLE target_plan AS SELECT * FROM src.target_plan")
    data = load_report_data(thin, AUGUST)
    assert [chart.div_id for chart in report_charts(data, "en")] == [
        "chart-company",
        "chart-regions",
        "chart-probability",
    ]
    document = build_report_html(data, "en")
    assert "no earlier plan version" in document
    assert "no funnel requirements" in document
    assert "No alerts" in document
    assert "no forecast intervals" in document


def test_the_first_month_of_a_fiscal_year_has_no_actuals_and_still_renders(tmp_path: Path):
    # January: nothing closed yet in the fiscal year, no previous version, no alerts.
    inputs = synthetic_inputs(regions=2, product_lines=2, as_of="2026-01", n_paths=50)
    result = build_plan(inputs, load_config(EXAMPLE), "2026-01")
    serving = tmp_path / "january.duckdb"
    with duckdb.connect(str(serving)) as connection:
        create_tables(connection)
        insert(connection, "target_plan", to_published("target_plan", result.target_plan))
        connection.execute("CREATE TABLE target_plan AS SELECT * FROM plan.target_plan")
    data = load_report_data(serving, "2026-01")
    figures = headline(data)
    assert figures.actual_to_date == 0.0
    assert figures.open_months == 12
    assert figures.remaining == figures.year_target
    document = build_report_html(data, "zh")
    assert "2026年1月" in document
    assert "2025年12月31日" in document
