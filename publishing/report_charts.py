"""The report's charts: plotly figures built from :class:`publishing.report_data.ReportData`.

One function per chart; each returns a ``plotly.graph_objects.Figure`` and never touches a
file. Hover texts are pre-formatted strings (``customdata``) in the report's language, so the
tooltips show 万/亿 in ``zh`` and K/M/B in ``en``, the same as the headline.

Colours carry one meaning across the report: blue is what happened (actuals), dark navy the
target, orange the forecast, red late or critical, amber warning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from publishing.report_data import COMPANY, FUNNEL_STAGES, ReportData
from publishing.report_i18n import (
    Lang,
    format_count,
    format_money,
    format_pct,
    format_signed_money,
    money_axis,
    region_name,
    severity_name,
    short_month_label,
    text,
)
from publishing.report_summary import COMPONENTS, funnel_by_region, region_changes, remaining_change

ACTUAL = "#3b6ea8"
TARGET = "#1b2a4a"
FORECAST = "#e8833a"
BAND_80 = "rgba(232, 131, 58, 0.28)"
BAND_95 = "rgba(232, 131, 58, 0.13)"
PRIOR_YEAR = "#a3adba"
GRID = "#e7eaf0"
RED = "#d64545"
AMBER = "#e9a23b"
GREEN = "#2e9e5b"
INCREASE = "#3b6ea8"
DECREASE = "#d64545"
COMPONENT_COLOURS = {
    "actuals_vs_plan": "#3b6ea8",
    "forecast_revision": "#e8833a",
    "rate_changes": "#8c6bb1",
    "manual_adjustments": "#2e9e5b",
}
FONT = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", "Segoe UI", Roboto, "Helvetica Neue", '
    "Arial, sans-serif"
)
REGION_COLUMNS = 4


def company_outlook(data: ReportData, lang: Lang, currency: str) -> go.Figure:
    """Company target vs forecast (80%/95% intervals) vs actual: by month and cumulative."""
    months = _node_months(data, COMPANY)
    scale, unit = _axis(data, months, lang, currency)
    figure = _subplots(
        rows=1,
        cols=2,
        column_widths=[0.58, 0.42],
        horizontal_spacing=0.08,
        subplot_titles=(text("monthly", lang), text("cumulative", lang)),
    )
    _monthly_traces(figure, data, COMPANY, months, scale, lang, currency, row=1, col=1, legend=True)
    original = months["original_target"]
    figure.add_trace(
        go.Scatter(
            x=_labels(data, lang),
            y=_scaled(original, scale),
            name=text("original_target", lang),
            mode="lines",
            line={"color": TARGET, "width": 1, "dash": "dot"},
            opacity=0.55,
            customdata=_money_texts(original, data, lang, currency),
            hovertemplate="%{customdata}<extra>" + text("original_target", lang) + "</extra>",
        ),
        row=1,
        col=1,
    )
    _cumulative_traces(figure, data, months, scale, lang, currency)
    figure.update_yaxes(title_text=unit, tickformat=",", row=1, col=1)
    figure.update_yaxes(title_text=unit, tickformat=",", row=1, col=2)
    figure.update_xaxes(tickangle=0)
    return _style(figure, height=430)


def region_outlook(data: ReportData, lang: Lang, currency: str) -> go.Figure:
    """Target vs forecast vs actual by month, one small chart per region."""
    regions = data.regions
    columns = min(REGION_COLUMNS, max(len(regions), 1))
    rows = math.ceil(len(regions) / columns) if regions else 1
    probabilities = _region_probabilities(data)
    figure = _subplots(
        rows=rows,
        cols=columns,
        horizontal_spacing=0.06,
        vertical_spacing=0.16 if rows > 1 else 0.1,
        subplot_titles=[
            text(
                "region_title",
                lang,
                region=region_name(region, lang),
                p=format_pct(probabilities.get(region), lang),
            )
            for region in regions
        ],
    )
    largest = max(
        (float(_node_months(data, region)["period_target"].abs().max()) for region in regions),
        default=0.0,
    )
    scale, unit = money_axis(largest, lang, currency) if data.unit == "money" else (1.0, "")
    for index, region in enumerate(regions):
        row, col = index // columns + 1, index % columns + 1
        _monthly_traces(
            figure,
            data,
            region,
            _node_months(data, region),
            scale,
            lang,
            currency,
            row=row,
            col=col,
            legend=index == 0,
        )
    figure.update_yaxes(title_text=unit, col=1)
    figure.update_yaxes(tickformat=",")
    # Every other month: twelve labels do not fit under a quarter-width chart.
    labels = _labels(data, lang)
    figure.update_xaxes(tickmode="array", tickvals=labels[::2], tickangle=0)
    return _style(figure, height=70 + 250 * rows)


def attainment_probability(data: ReportData, lang: Lang, currency: str) -> go.Figure:
    """Probability of making the year, company first, then each region."""
    probabilities = _region_probabilities(data)
    nodes = [COMPANY, *data.regions]
    labels = [text("company", lang)] + [region_name(region, lang) for region in data.regions]
    years = data.years.assign(
        _key=[COMPANY if node == COMPANY else region for node, region in _node_regions(data)]
    ).set_index("_key")
    values = [probabilities.get(node) for node in nodes]
    hover = []
    for node in nodes:
        row = years.loc[node]
        hover.append(
            f"{text('target', lang)} {_format(row['adjusted_target'], data, lang, currency)}<br>"
            f"{text('forecast', lang)} {_format(row['forecast'], data, lang, currency)}"
        )
    figure = go.Figure(
        go.Bar(
            x=[value if value is not None else 0.0 for value in values],
            y=labels,
            orientation="h",
            marker={"color": [_probability_colour(value) for value in values]},
            text=[format_pct(value, lang) for value in values],
            textposition="outside",
            cliponaxis=False,
            customdata=hover,
            hovertemplate="%{y}: %{text}<br>%{customdata}<extra></extra>",
            showlegend=False,
        )
    )
    for threshold in (0.5, 0.8):
        figure.add_vline(x=threshold, line={"color": PRIOR_YEAR, "width": 1, "dash": "dot"})
    figure.update_xaxes(range=[0, 1.08], tickformat=".0%", dtick=0.2)
    figure.update_yaxes(autorange="reversed")
    return _style(figure, height=90 + 34 * len(nodes), legend=False)


def change_waterfall(data: ReportData, lang: Lang, currency: str) -> go.Figure:
    """Company waterfalls of the months ahead: target (money) and required opportunities."""
    assert data.changes is not None
    assert data.previous_as_of is not None
    measures = [("target", text("remaining_target", lang))]
    if (data.changes["measure"] == "required_opportunities").any():
        measures.append(("required_opportunities", text("required_opportunities", lang)))
    figure = _subplots(
        rows=1,
        cols=len(measures),
        horizontal_spacing=0.1,
        subplot_titles=[title for _, title in measures],
    )
    # Short two-line labels: six bars side by side leave about 90 px per label.
    steps = [
        text("previous_version", lang, month=data.previous_as_of.strftime("%Y-%m")),
        *(text(component, lang).replace(" ", "<br>", 1) for component in COMPONENTS),
        text("current_version", lang, month=data.as_of_month),
    ]
    for col, (measure, _) in enumerate(measures, start=1):
        parts = remaining_change(data.changes, data.as_of, COMPANY, measure)
        values = [parts["previous"], *(parts[c] for c in COMPONENTS), parts["current"]]
        scale, unit = 1.0, ""
        if measure == "target" and data.unit == "money":
            scale, unit = money_axis(max(abs(v) for v in values), lang, currency)
            labels = [format_money(values[0], lang, currency)]
            labels += [format_signed_money(value, lang, currency) for value in values[1:-1]]
            labels.append(format_money(values[-1], lang, currency))
        else:
            labels = [f"{value:,.0f}" for value in values[:1]]
            labels += [f"{value:+,.1f}" for value in values[1:-1]]
            labels.append(f"{values[-1]:,.0f}")
        scaled = [value / scale for value in values]
        figure.add_trace(
            go.Waterfall(
                x=steps,
                y=[scaled[0], *scaled[1:-1], 0.0],
                measure=["absolute", *["relative"] * len(COMPONENTS), "total"],
                text=labels,
                textposition="outside",
                cliponaxis=False,
                connector={"line": {"color": PRIOR_YEAR, "width": 1}},
                increasing={"marker": {"color": INCREASE}},
                decreasing={"marker": {"color": DECREASE}},
                totals={"marker": {"color": TARGET}},
                hovertemplate="%{x}: %{text}<extra></extra>",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        low = min(_running(scaled))
        high = max(_running(scaled))
        pad = (high - low) * 0.35 or abs(high) * 0.05 or 1.0
        # The axis starts near the smallest bar, not at zero: the parts are a few percent of
        # the totals and would be invisible on a zero-based axis. The bar labels give values.
        figure.update_yaxes(
            range=[max(low - pad, 0.0), high + pad],
            tickformat=",",
            title_text=unit,
            row=1,
            col=col,
        )
    figure.update_xaxes(tickangle=0)
    return _style(figure, height=400, legend=False)


def region_change_bars(data: ReportData, lang: Lang, currency: str) -> go.Figure:
    """Each region's change of its target for the months ahead, split by cause."""
    assert data.changes is not None
    frame = region_changes(data.changes, data.as_of)
    order = [region for region in data.regions if region in set(frame["region"])]
    frame = frame.set_index("region").loc[order]
    labels = [region_name(region, lang) for region in order]
    largest = max(
        float(frame[list(COMPONENTS)].abs().sum(axis=1).max()),
        float(frame["total_change"].abs().max()),
    )
    scale, unit = money_axis(largest, lang, currency)
    figure = go.Figure()
    for component in COMPONENTS:
        values = frame[component]
        figure.add_trace(
            go.Bar(
                x=_scaled(values, scale),
                y=labels,
                orientation="h",
                name=text(component, lang),
                marker={"color": COMPONENT_COLOURS[component]},
                customdata=[format_signed_money(v, lang, currency) for v in values],
                hovertemplate="%{y}: %{customdata}<extra>" + text(component, lang) + "</extra>",
            )
        )
    totals = frame["total_change"]
    figure.add_trace(
        go.Scatter(
            x=_scaled(totals, scale),
            y=labels,
            mode="markers+text",
            name=text("total_change", lang),
            marker={"color": TARGET, "symbol": "diamond", "size": 11},
            text=[format_signed_money(v, lang, currency) for v in totals],
            # Outside the bars: left of a decrease, right of an increase.
            textposition=["middle left" if v < 0 else "middle right" for v in totals],
            cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra>" + text("total_change", lang) + "</extra>",
        )
    )
    figure.update_xaxes(
        title_text=unit, tickformat=",", zeroline=True, zerolinecolor=TARGET, zerolinewidth=1
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(barmode="relative")
    return _style(figure, height=130 + 46 * len(order))


def funnel_work(data: ReportData, lang: Lang) -> go.Figure:
    """Work behind the months ahead per region and stage, late work stacked in red."""
    assert data.funnel is not None
    sums = funnel_by_region(data.funnel)
    regions = [region for region in data.regions if region in set(sums["region"])]
    labels = [region_name(region, lang) for region in regions]
    titles = [_stage_title(stage, lang) for stage in FUNNEL_STAGES]
    figure = _subplots(
        rows=1,
        cols=len(FUNNEL_STAGES),
        shared_yaxes=True,
        horizontal_spacing=0.025,
        subplot_titles=titles,
    )
    for col, stage in enumerate(FUNNEL_STAGES, start=1):
        totals = sums.groupby("region")[stage].sum().reindex(regions).fillna(0.0)
        for at_risk, name, colour in (
            (False, text("on_time", lang), ACTUAL),
            (True, text("at_risk", lang), RED),
        ):
            values = (
                sums[sums["at_risk"] == at_risk].set_index("region")[stage].reindex(regions)
            ).fillna(0.0)
            figure.add_trace(
                go.Bar(
                    x=values.tolist(),
                    y=labels,
                    orientation="h",
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    marker={"color": colour},
                    customdata=[format_count(value, lang) for value in values],
                    hovertemplate="%{y}: %{customdata}<extra>" + name + "</extra>",
                    # The total at the end of each stack, so nobody has to hover for it.
                    text=[format_count(total, lang) for total in totals] if at_risk else None,
                    textposition="outside",
                    cliponaxis=False,
                ),
                row=1,
                col=col,
            )
        # 45% head room for the total's label at the end of the longest bar.
        longest = float(totals.max()) if len(totals) else 0.0
        figure.update_xaxes(
            tickformat="~s", nticks=3, range=[0, longest * 1.45 or 1.0], row=1, col=col
        )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(barmode="stack")
    return _style(figure, height=170 + 40 * len(regions))


def alert_bars(
    alerts: pd.DataFrame, labels: Sequence[str], lang: Lang, hover: Sequence[str]
) -> go.Figure:
    """Attainment against the expected pace for the top alerts, coloured by severity.

    Args:
        alerts: the top alerts in reading order (:func:`report_summary.top_alerts`).
        labels: one display label per alert.
        lang: the language.
        hover: one pre-formatted hover text per alert.
    """
    colours = [RED if severity == "critical" else AMBER for severity in alerts["severity"]]
    names = [severity_name(str(severity), lang) for severity in alerts["severity"]]
    figure = go.Figure(
        go.Bar(
            x=alerts["attainment"].astype(float).tolist(),
            y=list(labels),
            orientation="h",
            marker={"color": colours},
            text=[
                f"{format_pct(value, lang)} · {name}"
                for value, name in zip(alerts["attainment"], names, strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
            customdata=list(hover),
            hovertemplate="%{y}<br>%{customdata}<extra></extra>",
            showlegend=False,
        )
    )
    figure.add_vline(x=1.0, line={"color": TARGET, "width": 1.5})
    figure.add_annotation(
        x=1.0,
        y=1.0,
        yref="paper",
        yanchor="bottom",
        text=text("expected_pace", lang),
        showarrow=False,
        font={"size": 11, "color": TARGET},
    )
    figure.update_xaxes(range=[0, 1.25], tickformat=".0%", dtick=0.2)
    figure.update_yaxes(autorange="reversed", automargin=True)
    return _style(figure, height=110 + 32 * len(alerts), legend=False)


# --------------------------------------------------------------------------- helpers


def _node_months(data: ReportData, node: str) -> pd.DataFrame:
    """Month rows of the company (``company``) or a region (its code), in fiscal order."""
    months = data.months
    if node == COMPANY:
        rows = months[months["node"] == COMPANY]
    else:
        rows = months[(months["level"] == "region") & (months["region"] == node)]
    return rows.set_index("month").reindex(list(data.fiscal_months)).reset_index()


def _node_regions(data: ReportData) -> list[tuple[str, str]]:
    return list(zip(data.years["node"], data.years["region"], strict=True))


def _region_probabilities(data: ReportData) -> dict[str, float | None]:
    result: dict[str, float | None] = {}
    for node, region, value in zip(
        data.years["node"], data.years["region"], data.years["p_attain"], strict=True
    ):
        number = float(value) if value is not None else math.nan
        result[COMPANY if node == COMPANY else str(region)] = (
            number if math.isfinite(number) else None
        )
    return result


def _labels(data: ReportData, lang: Lang) -> list[str]:
    return [short_month_label(month, lang) for month in data.fiscal_months]


def _axis(data: ReportData, months: pd.DataFrame, lang: Lang, currency: str) -> tuple[float, str]:
    if data.unit != "money":
        return 1.0, ""
    cumulative = float(months["period_target"].abs().sum())
    return money_axis(cumulative, lang, currency)


def _scaled(values: pd.Series | Sequence[float], scale: float) -> list[float | None]:
    result: list[float | None] = []
    for value in values:
        number = float(value) if value is not None else math.nan
        result.append(round(number / scale, 6) if math.isfinite(number) else None)
    return result


def _format(value: object, data: ReportData, lang: Lang, currency: str) -> str:
    number = float(value) if value is not None else math.nan  # type: ignore[arg-type]
    if data.unit == "money":
        return format_money(number if math.isfinite(number) else None, lang, currency)
    return format_count(number if math.isfinite(number) else None, lang)


def _money_texts(
    values: pd.Series | Sequence[float], data: ReportData, lang: Lang, currency: str
) -> list[str]:
    return [_format(value, data, lang, currency) for value in values]


def _monthly_traces(
    figure: go.Figure,
    data: ReportData,
    node: str,
    months: pd.DataFrame,
    scale: float,
    lang: Lang,
    currency: str,
    *,
    row: int,
    col: int,
    legend: bool,
) -> None:
    labels = _labels(data, lang)
    closed = [month < data.as_of for month in data.fiscal_months]
    actual = [
        value if is_closed else None
        for value, is_closed in zip(months["actual_to_date"], closed, strict=True)
    ]
    if data.prior_year is not None:
        prior = data.prior_year[data.prior_year["node"] == node].set_index("month")["value"]
        prior = prior.reindex(list(data.fiscal_months))
        if prior.notna().any():
            figure.add_trace(
                go.Scatter(
                    x=labels,
                    y=_scaled(prior, scale),
                    name=text("prior_year", lang),
                    legendgroup="prior_year",
                    showlegend=legend,
                    mode="lines",
                    line={"color": PRIOR_YEAR, "width": 1.5, "dash": "dot"},
                    customdata=_money_texts(prior.fillna(math.nan), data, lang, currency),
                    hovertemplate="%{x}: %{customdata}<extra>"
                    + text("prior_year", lang)
                    + "</extra>",
                ),
                row=row,
                col=col,
            )
    figure.add_trace(
        go.Bar(
            x=labels,
            y=_scaled(actual, scale),
            name=text("actual", lang),
            legendgroup="actual",
            showlegend=legend,
            marker={"color": ACTUAL},
            opacity=0.9,
            customdata=[_format(v, data, lang, currency) if v is not None else "" for v in actual],
            hovertemplate="%{x}: %{customdata}<extra>" + text("actual", lang) + "</extra>",
        ),
        row=row,
        col=col,
    )
    _forecast_traces(figure, data, node, months, scale, lang, currency, row, col, legend)
    figure.add_trace(
        go.Scatter(
            x=labels,
            y=_scaled(months["period_target"], scale),
            name=text("target", lang),
            legendgroup="target",
            showlegend=legend,
            mode="lines+markers",
            line={"color": TARGET, "width": 2},
            marker={"size": 5},
            customdata=_money_texts(months["period_target"], data, lang, currency),
            hovertemplate="%{x}: %{customdata}<extra>" + text("target", lang) + "</extra>",
        ),
        row=row,
        col=col,
    )


def _forecast_traces(
    figure: go.Figure,
    data: ReportData,
    node: str,
    months: pd.DataFrame,
    scale: float,
    lang: Lang,
    currency: str,
    row: int,
    col: int,
    legend: bool,
) -> None:
    open_months = list(data.open_months)
    labels = [short_month_label(month, lang) for month in open_months]
    if not open_months:
        return
    forecast = None
    if data.forecast is not None:
        rows = data.forecast[data.forecast["node"] == node].set_index("month")
        if not rows.empty:
            forecast = rows.reindex(open_months)
    if forecast is not None:
        for lower, upper, colour, name in (
            ("yhat_lower_95", "yhat_upper_95", BAND_95, text("interval_95", lang)),
            ("yhat_lower_80", "yhat_upper_80", BAND_80, text("interval_80", lang)),
        ):
            figure.add_trace(
                go.Scatter(
                    x=labels,
                    y=_scaled(forecast[upper], scale),
                    mode="lines",
                    line={"width": 0},
                    showlegend=False,
                    legendgroup=name,
                    hoverinfo="skip",
                ),
                row=row,
                col=col,
            )
            figure.add_trace(
                go.Scatter(
                    x=labels,
                    y=_scaled(forecast[lower], scale),
                    mode="lines",
                    line={"width": 0},
                    fill="tonexty",
                    fillcolor=colour,
                    name=name,
                    legendgroup=name,
                    showlegend=legend,
                    customdata=[
                        f"{_format(lo, data, lang, currency)} – {_format(hi, data, lang, currency)}"
                        for lo, hi in zip(forecast[lower], forecast[upper], strict=True)
                    ],
                    hovertemplate="%{x}: %{customdata}<extra>" + name + "</extra>",
                ),
                row=row,
                col=col,
            )
        point = forecast["yhat"]
    else:
        point = months.set_index("month")["forecast"].reindex(open_months)
    figure.add_trace(
        go.Scatter(
            x=labels,
            y=_scaled(point, scale),
            name=text("forecast", lang),
            legendgroup="forecast",
            showlegend=legend,
            mode="lines+markers",
            line={"color": FORECAST, "width": 2, "dash": "dash"},
            marker={"size": 5},
            customdata=_money_texts(point, data, lang, currency),
            hovertemplate="%{x}: %{customdata}<extra>" + text("forecast", lang) + "</extra>",
        ),
        row=row,
        col=col,
    )


def _cumulative_traces(
    figure: go.Figure,
    data: ReportData,
    months: pd.DataFrame,
    scale: float,
    lang: Lang,
    currency: str,
) -> None:
    labels = _labels(data, lang)
    closed = [month < data.as_of for month in data.fiscal_months]
    target = months["period_target"].astype(float).cumsum()
    outlook_values = [
        float(actual) if is_closed else float(forecast) if forecast is not None else math.nan
        for actual, forecast, is_closed in zip(
            months["actual_to_date"], months["forecast"], closed, strict=True
        )
    ]
    outlook = pd.Series(outlook_values).cumsum()
    figure.add_trace(
        go.Scatter(
            x=labels,
            y=_scaled(target, scale),
            name=text("target", lang),
            legendgroup="target",
            showlegend=False,
            mode="lines",
            line={"color": TARGET, "width": 2},
            customdata=_money_texts(target, data, lang, currency),
            hovertemplate="%{x}: %{customdata}<extra>" + text("target", lang) + "</extra>",
        ),
        row=1,
        col=2,
    )
    last_closed = sum(closed)
    for name, indices, dash, colour in (
        (text("actual", lang), range(last_closed), "solid", ACTUAL),
        (
            text("actual_plus_forecast", lang),
            range(max(last_closed - 1, 0), len(labels)),
            "dash",
            FORECAST,
        ),
    ):
        chosen = list(indices)
        if not chosen:
            continue
        figure.add_trace(
            go.Scatter(
                x=[labels[i] for i in chosen],
                y=_scaled([outlook.iloc[i] for i in chosen], scale),
                name=name,
                showlegend=False,
                mode="lines+markers",
                line={"color": colour, "width": 2.5, "dash": dash},
                marker={"size": 5},
                customdata=_money_texts([outlook.iloc[i] for i in chosen], data, lang, currency),
                hovertemplate="%{x}: %{customdata}<extra>" + name + "</extra>",
            ),
            row=1,
            col=2,
        )
    year = data.years[data.years["node"] == COMPANY].iloc[0]
    for column, name, dash in (
        ("stretch", text("stretch", lang), "dot"),
        ("floor", text("floor", lang), "dot"),
    ):
        value = float(year[column]) / scale
        figure.add_hline(
            y=value,
            line={"color": PRIOR_YEAR, "width": 1, "dash": dash},
            annotation_text=f"{name} {_format(year[column], data, lang, currency)}",
            annotation_position="top left",
            annotation_font={"size": 10, "color": "#6b7685"},
            row=1,
            col=2,
        )


def _running(values: Sequence[float]) -> list[float]:
    """Heights a waterfall reaches: the start, each running total, and the end."""
    heights = [values[0]]
    total = values[0]
    for value in values[1:-1]:
        total += value
        heights.append(total)
    heights.append(values[-1])
    return heights


def _probability_colour(value: float | None) -> str:
    if value is None:
        return PRIOR_YEAR
    if value < 0.5:
        return RED
    if value < 0.8:
        return AMBER
    return GREEN


def _stage_title(stage: str, lang: Lang) -> str:
    if stage == "required_opportunities":
        return text("opportunities", lang)
    return text(stage, lang)


def _style(figure: go.Figure, *, height: int, legend: bool = True) -> go.Figure:
    figure.update_layout(
        template="none",
        height=height,
        font={"family": FONT, "size": 12, "color": "#2b3445"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 60, "r": 24, "t": 56, "b": 40},
        hoverlabel={"font": {"family": FONT}},
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "x": 0, "xanchor": "left"},
        bargap=0.25,
    )
    # automargin: long category labels ("International", alert paths) push the plot area
    # instead of being cut at the fixed margin.
    figure.update_xaxes(showgrid=False, linecolor="#c9ced8", ticks="", automargin=True)
    figure.update_yaxes(
        gridcolor=GRID, zerolinecolor="#c9ced8", linecolor="#c9ced8", automargin=True
    )
    return figure


def _subplots(**kwargs: object) -> go.Figure:
    """``make_subplots`` with the report's (smaller) subplot title font."""
    figure = make_subplots(**kwargs)  # type: ignore[arg-type]
    figure.update_annotations(font={"size": 13, "color": "#2b3445"})
    return figure
