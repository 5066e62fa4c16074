"""The leadership report: one self-contained HTML file per as-of month, in Chinese or English.

:func:`render_report` reads one plan version from the published serving file (what BI and
leadership see) and writes a single HTML file that opens from disk with no network: plotly.js
is inlined from the installed ``plotly`` package (about 4.8 MB), fonts come from the reader's
system, and nothing is fetched. Contents, top to bottom:

1. a headline: year target, actual to date, year forecast, gap, probability of making the year
   and what is still to sell, with the as-of month and the data cutoff;
2. company and region target vs forecast (80%/95% intervals) vs actual over the fiscal year;
3. probability of making the year, company and per region;
4. the change waterfall against the previous version (``plan_changes``), company and regions;
5. funnel work required per region for the months ahead, late work shown as at risk;
6. the top alerts (``attainment_alerts``) by severity.

The output is deterministic: the same serving file, month and language give the same bytes
(no wall-clock time, fixed chart ids, rows sorted before drawing), so replaying a month
reproduces its report exactly.

Command line (for scripts; the ``salesplan`` CLI calls :func:`render_report` itself)::

    python -m publishing.report --serving published/salesplan.duckdb --as-of 2026-08 \
        --lang zh --out reports/2026-08/report_zh.html
"""

from __future__ import annotations

import argparse
import html
import os
import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from publishing import report_charts as charts
from publishing.report_data import COMPANY, OFFICIAL, ReportData, load_report_data
from publishing.report_i18n import (
    LANGUAGES,
    Lang,
    channel_name,
    check_lang,
    day_label,
    format_count,
    format_money,
    format_pct,
    metric_name,
    month_label,
    product_line_name,
    region_name,
    severity_name,
    text,
)
from publishing.report_summary import Headline, headline, severity_counts, top_alerts

DEFAULT_CURRENCY = "CNY"
TOP_ALERTS = 10
# No mode bar: the report is read, not edited; "responsive" lets charts follow the window.
PLOTLY_CONFIG = {"displayModeBar": False, "responsive": True}
CHART_IDS = (
    "chart-company",
    "chart-regions",
    "chart-probability",
    "chart-changes",
    "chart-changes-regions",
    "chart-funnel",
    "chart-alerts",
)


@dataclass(frozen=True)
class Chart:
    """One chart of the report: its fixed div id and figure."""

    div_id: str
    figure: go.Figure


def render_report(
    serving_db: Path,
    as_of_month: str,
    lang: Lang,
    out_path: Path,
    *,
    metric: str = "bookings",
    scenario: str = OFFICIAL,
    currency: str = DEFAULT_CURRENCY,
) -> Path:
    """Write the leadership report of one as-of month as a self-contained HTML file.

    Args:
        serving_db: the published serving DuckDB file (``published/salesplan.duckdb``).
        as_of_month: ``YYYY-MM``, a version the serving file holds.
        lang: ``zh`` or ``en``.
        out_path: the HTML file to write (its folder is created); replaced atomically.
        metric: the target metric the report is about.
        scenario: the plan scenario to show.
        currency: the reporting currency (money labels only).

    Returns:
        ``out_path``.

    Raises:
        ReportInputError: when the serving file lacks what the report needs (the message names
            the file, table and what is missing).
        ValueError: for an unsupported language or a malformed month.
    """
    lang = check_lang(lang)
    data = load_report_data(Path(serving_db), as_of_month, metric=metric, scenario=scenario)
    document = build_report_html(data, lang, currency=currency)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a reader never opens half a report.
    partial = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    partial.write_text(document, encoding="utf-8")
    os.replace(partial, out_path)
    return out_path


def build_report_html(data: ReportData, lang: Lang, *, currency: str = DEFAULT_CURRENCY) -> str:
    """Return the report document for ``data`` (see :func:`render_report`)."""
    figures = headline(data)
    built = {chart.div_id: chart for chart in report_charts(data, lang, currency)}
    sections = [
        _outlook_section(data, lang, built),
        _probability_section(data, lang, built),
        _changes_section(data, lang, built),
        _funnel_section(data, lang, built),
        _alerts_section(data, lang, currency, built),
    ]
    template = string.Template(
        resources.files("publishing").joinpath("templates/report.html").read_text("utf-8")
    )
    metric = metric_name(data.metric, lang)
    return template.substitute(
        html_lang="zh-CN" if lang == "zh" else "en",
        title=_e(f"{text('title', lang)} · {month_label(data.as_of, lang)}"),
        subtitle=_e(f"{metric} · FY{data.fiscal_year}"),
        meta=_meta(data, lang),
        plotly_js=_plotly_js(),
        kpis=_kpis(data, figures, lang, currency),
        summary=_summary(data, figures, lang, currency),
        sections="\n".join(sections),
        footer=_e(text("footer", lang, as_of=data.as_of_month)),
    )


def report_charts(data: ReportData, lang: Lang, currency: str = DEFAULT_CURRENCY) -> list[Chart]:
    """Return the charts the report draws for ``data``, in page order."""
    result = [
        Chart("chart-company", charts.company_outlook(data, lang, currency)),
        Chart("chart-regions", charts.region_outlook(data, lang, currency)),
    ]
    if data.years["p_attain"].notna().any():
        result.append(
            Chart("chart-probability", charts.attainment_probability(data, lang, currency))
        )
    if data.changes is not None:
        result.append(Chart("chart-changes", charts.change_waterfall(data, lang, currency)))
        if (data.changes["level"] == "region").any():
            result.append(
                Chart("chart-changes-regions", charts.region_change_bars(data, lang, currency))
            )
    if data.funnel is not None:
        result.append(Chart("chart-funnel", charts.funnel_work(data, lang)))
    alerts = top_alerts(data.alerts, data.metric, TOP_ALERTS)
    if not alerts.empty:
        labels = [alert_label(row, data.seller_names, lang) for _, row in alerts.iterrows()]
        hover = [_alert_hover(row, lang, currency) for _, row in alerts.iterrows()]
        result.append(Chart("chart-alerts", charts.alert_bars(alerts, labels, lang, hover)))
    return result


def alert_label(row: pd.Series, seller_names: dict[str, str], lang: Lang) -> str:
    """A readable label of an alert's node, metric and period.

    ``region=EAST/product_line=CLOUD/channel=direct/rep_id=R0012`` becomes
    ``华东 › 云服务 › 直销 › Rep 12 (R0012)`` in ``zh``; sellers are named when known.
    """
    parts: list[str] = []
    if row["node"] == COMPANY:
        parts.append(text("company", lang))
    for key, value in (part.split("=", 1) for part in str(row["node"]).split("/") if "=" in part):
        if key == "region":
            parts.append(region_name(value, lang))
        elif key == "product_line":
            parts.append(product_line_name(value, lang))
        elif key == "channel":
            parts.append(channel_name(value, lang))
        else:
            name = seller_names.get(value)
            parts.append(f"{name} ({value})" if name and name != value else value)
    return f"{' › '.join(parts)} · {metric_name(str(row['metric']), lang)} · {row['period']}"


# --------------------------------------------------------------------------- sections


def _chart_html(chart: Chart) -> str:
    height = int(chart.figure.layout.height or 400)
    markup = pio.to_html(
        chart.figure,
        config=PLOTLY_CONFIG,
        include_plotlyjs=False,
        full_html=False,
        div_id=chart.div_id,
        default_height=f"{height}px",
    )
    return f'<div class="chart">{markup}</div>'


def _section(title: str, note: str, body: str) -> str:
    note_html = f'<p class="note">{_e(note)}</p>' if note else ""
    return f'<section class="panel"><h2>{_e(title)}</h2>{note_html}{body}</section>'


def _empty(message: str) -> str:
    return f'<p class="empty">{_e(message)}</p>'


def _outlook_section(data: ReportData, lang: Lang, built: dict[str, Chart]) -> str:
    note = text("section_outlook_note", lang)
    if data.forecast is None:
        note += " " + text("no_forecast_intervals", lang)
    body = _chart_html(built["chart-company"]) + _chart_html(built["chart-regions"])
    return _section(text("section_outlook", lang), note, body)


def _probability_section(data: ReportData, lang: Lang, built: dict[str, Chart]) -> str:
    if data.years["p_attain"].isna().all():
        body = _empty(text("no_probability", lang))
    else:
        body = _chart_html(built["chart-probability"])
    return _section(text("section_probability", lang), text("section_probability_note", lang), body)


def _changes_section(data: ReportData, lang: Lang, built: dict[str, Chart]) -> str:
    title = text("section_changes", lang)
    if "chart-changes" not in built or data.previous_as_of is None:
        return _section(title, "", _empty(text("no_changes", lang)))
    note = text(
        "section_changes_note",
        lang,
        first=data.as_of_month,
        previous=data.previous_as_of.strftime("%Y-%m"),
    )
    body = _chart_html(built["chart-changes"])
    if "chart-changes-regions" in built:
        body += f"<h3>{_e(text('region_changes', lang))}</h3>"
        body += _chart_html(built["chart-changes-regions"])
    return _section(title, note, body)


def _funnel_section(data: ReportData, lang: Lang, built: dict[str, Chart]) -> str:
    title = text("section_funnel", lang)
    if "chart-funnel" not in built:
        return _section(title, "", _empty(text("no_funnel", lang)))
    note = text("section_funnel_note", lang, month=month_label(data.as_of, lang))
    return _section(title, note, _chart_html(built["chart-funnel"]))


def _alerts_section(data: ReportData, lang: Lang, currency: str, built: dict[str, Chart]) -> str:
    title = text("section_alerts", lang)
    if "chart-alerts" not in built:
        return _section(title, "", _empty(text("no_alerts", lang)))
    note = text("section_alerts_note", lang, month=month_label(data.cutoff, lang))
    alerts = top_alerts(data.alerts, data.metric, TOP_ALERTS)
    labels = [alert_label(row, data.seller_names, lang) for _, row in alerts.iterrows()]
    body = _chart_html(built["chart-alerts"]) + _alert_table(alerts, labels, lang, currency)
    more = len(data.alerts) - len(alerts)
    if more > 0:
        body += f'<p class="note">{_e(text("alerts_more", lang, n=more))}</p>'
    return _section(title, note, body)


def _alert_table(alerts: pd.DataFrame, labels: Sequence[str], lang: Lang, currency: str) -> str:
    head = "".join(
        f"<th{css}>{_e(text(key, lang))}</th>"
        for key, css in (
            ("severity", ""),
            ("node", ""),
            ("attainment", ' class="num"'),
            ("actual_vs_expected", ' class="num"'),
        )
    )
    rows = []
    for (_, row), label in zip(alerts.iterrows(), labels, strict=True):
        severity = str(row["severity"])
        rows.append(
            "<tr>"
            f'<td><span class="chip {_e(severity)}">{_e(severity_name(severity, lang))}</span></td>'
            f"<td>{_e(label)}</td>"
            f'<td class="num">{_e(format_pct(float(row["attainment"]), lang))}</td>'
            f'<td class="num">{_e(_alert_amounts(row, lang, currency))}</td>'
            "</tr>"
        )
    body = "".join(rows)
    return f'<table class="alerts"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _alert_amounts(row: pd.Series, lang: Lang, currency: str) -> str:
    if row["unit"] == "money":
        actual = format_money(float(row["actual_to_date"]), lang, currency)
        expected = format_money(float(row["expected_to_date"]), lang, currency)
    else:
        actual = format_count(float(row["actual_to_date"]), lang)
        expected = format_count(float(row["expected_to_date"]), lang)
    return f"{actual} / {expected}"


def _alert_hover(row: pd.Series, lang: Lang, currency: str) -> str:
    return (
        f"{text('attainment', lang)}: {format_pct(float(row['attainment']), lang)}<br>"
        f"{text('actual_vs_expected', lang)}: {_alert_amounts(row, lang, currency)}"
    )


# --------------------------------------------------------------------------- headline


def _meta(data: ReportData, lang: Lang) -> str:
    items = [
        (text("as_of", lang), data.as_of_month),
        (text("cutoff", lang), day_label(data.cutoff, lang)),
        (text("metric", lang), metric_name(data.metric, lang)),
        (text("scenario", lang), data.scenario),
    ]
    return "".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in items)


def _amount(value: float | None, data: ReportData, lang: Lang, currency: str) -> str:
    if data.unit == "money":
        return format_money(value, lang, currency)
    return format_count(value, lang)


def _kpis(data: ReportData, figures: Headline, lang: Lang, currency: str) -> str:
    def card(label: str, value: str, note: str, tone: str = "") -> str:
        return (
            f'<div class="kpi {tone}"><div class="label">{_e(label)}</div>'
            f'<div class="value">{_e(value)}</div><div class="note">{_e(note)}</div></div>'
        )

    floor_stretch = (
        f"{text('floor', lang)} {_amount(figures.floor, data, lang, currency)} · "
        f"{text('stretch', lang)} {_amount(figures.stretch, data, lang, currency)}"
    )
    gap = figures.gap
    if gap is None:
        gap_value, gap_note, gap_tone = text("not_available", lang), "", ""
    else:
        gap_value = _amount(abs(gap), data, lang, currency)
        direction = text("short_by" if gap > 0 else "ahead_by", lang)
        gap_note = f"{direction} · {format_pct(abs(figures.gap_share or 0.0), lang)}"
        gap_tone = "bad" if gap > 0 else "good"
    probability = figures.p_attain
    tone = ""
    if probability is not None:
        tone = "bad" if probability < 0.5 else "warn" if probability < 0.8 else "good"
    months_left = figures.open_months
    average = figures.remaining / months_left if months_left else None
    cards = [
        card(
            text("year_target", lang),
            _amount(figures.year_target, data, lang, currency),
            floor_stretch,
        ),
        card(
            text("actual_to_date", lang),
            _amount(figures.actual_to_date, data, lang, currency),
            f"{format_pct(figures.attained_share, lang)} {text('of_target', lang)}",
        ),
        card(
            text("forecast_year", lang),
            _amount(figures.forecast, data, lang, currency),
            text("forecast_year_note", lang),
        ),
        card(text("gap", lang), gap_value, gap_note, gap_tone),
        card(
            text("probability", lang),
            format_pct(probability, lang),
            text("probability_note", lang),
            tone,
        ),
        card(
            text("remaining", lang),
            _amount(figures.remaining, data, lang, currency),
            text("remaining_note", lang, n=months_left, avg=_amount(average, data, lang, currency))
            if months_left
            else "",
        ),
    ]
    return "".join(cards)


def _summary(data: ReportData, figures: Headline, lang: Lang, currency: str) -> str:
    sentences = []
    metric = metric_name(data.metric, lang)
    if figures.gap is not None and figures.forecast is not None:
        key = "summary_short" if figures.gap > 0 else "summary_ahead"
        sentences.append(
            text(
                key,
                lang,
                metric=metric if lang == "zh" else metric.lower(),
                forecast=_amount(figures.forecast, data, lang, currency),
                gap=_amount(abs(figures.gap), data, lang, currency),
                share=format_pct(abs(figures.gap_share or 0.0), lang),
            )
        )
    regions = data.years[data.years["node"] != COMPANY]
    known = regions[regions["p_attain"].notna()]
    if not known.empty:
        low = known[known["p_attain"].astype(float) < 0.5].sort_values(["p_attain", "region"])
        if low.empty:
            sentences.append(text("summary_regions_ok", lang))
        else:
            separator = "、" if lang == "zh" else ", "
            names = separator.join(
                f"{region_name(str(r), lang)} {format_pct(float(p), lang)}"
                for r, p in zip(low["region"], low["p_attain"], strict=True)
            )
            sentences.append(
                text("summary_regions", lang, n=len(low), total=len(known), names=names)
            )
    if not data.alerts.empty:
        counts = severity_counts(data.alerts)
        sentences.append(
            text(
                "summary_alerts",
                lang,
                critical=counts.get("critical", 0),
                warning=counts.get("warning", 0),
            )
        )
    return "".join(f"<p>{_e(sentence)}</p>" for sentence in sentences)


@cache
def _plotly_js() -> str:
    """The installed plotly.js bundle (read once per process: it is 4.8 MB)."""
    return get_plotlyjs()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """Render one report from the command line; returns the exit code."""
    parser = argparse.ArgumentParser(description="Render the leadership report (HTML).")
    parser.add_argument("--serving", type=Path, required=True, help="published salesplan.duckdb")
    parser.add_argument("--as-of", required=True, help="as-of month YYYY-MM")
    parser.add_argument("--lang", choices=LANGUAGES, default="zh")
    parser.add_argument("--out", type=Path, required=True, help="HTML file to write")
    parser.add_argument("--metric", default="bookings")
    parser.add_argument("--scenario", default=OFFICIAL)
    args = parser.parse_args(argv)
    path = render_report(
        args.serving, args.as_of, args.lang, args.out, metric=args.metric, scenario=args.scenario
    )
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
