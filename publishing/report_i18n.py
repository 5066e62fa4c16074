"""Words and number formats of the leadership report and the manager workbooks, in zh and en.

One rule per language, used everywhere (headline, charts, tables, workbooks):

* money in ``zh`` is written in 万 (10^4) and 亿 (10^8) with the currency after it
  (``7.54亿元``, ``558.4万元``); in ``en`` with K/M/B after the currency code
  (``CNY 75.4M``). Chart axes use one fixed unit per chart (万元 or CNY M), named in the axis
  title, so that every tick of a chart is comparable.
* counts (deals, leads, activities) use thousands separators in both languages (``1,234``);
  fractional requirements are rounded up, since 2.3 required deals means 3 deals of work.
* shares are whole percent (``63%``).

Nothing here reads the clock or the locale, so the same inputs always give the same text.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

Lang = Literal["zh", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh", "en")

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CURRENCY_ZH = {"CNY": "元", "RMB": "元"}

# Codes of the demo business (docs/architecture.md "Demo data"); other codes print as they are.
_REGIONS_ZH = {
    "EAST": "华东",
    "SOUTH": "华南",
    "NORTH": "华北",
    "CENTRAL": "华中",
    "SOUTHWEST": "西南",
    "NORTHWEST": "西北",
    "NORTHEAST": "东北",
    "INTL": "国际",
}
_REGIONS_EN = {
    "EAST": "East",
    "SOUTH": "South",
    "NORTH": "North",
    "CENTRAL": "Central",
    "SOUTHWEST": "Southwest",
    "NORTHWEST": "Northwest",
    "NORTHEAST": "Northeast",
    "INTL": "International",
}
_PRODUCT_LINES_ZH = {
    "CLOUD": "云服务",
    "ANALYTICS": "数据分析",
    "AI": "人工智能",
    "SECURITY": "安全",
    "ERP": "ERP",
    "LEGACY": "传统产品",
}
_CHANNELS = {"zh": {"direct": "直销", "partner": "渠道"}, "en": {"direct": "direct"}}
_METRICS = {
    "zh": {
        "bookings": "签约额",
        "new_bookings": "新签签约额",
        "expansion_bookings": "增购签约额",
        "renewal_bookings": "续约签约额",
        "collections": "回款",
        "new_customers": "新客户数",
    },
    "en": {
        "bookings": "Bookings",
        "new_bookings": "New-business bookings",
        "expansion_bookings": "Expansion bookings",
        "renewal_bookings": "Renewal bookings",
        "collections": "Collections",
        "new_customers": "New customers",
    },
}
_SEVERITIES = {"zh": {"critical": "严重", "warning": "预警"}, "en": {}}

TEXT: dict[str, dict[Lang, str]] = {
    "title": {"zh": "销售目标月度复盘", "en": "Monthly sales target review"},
    "as_of": {"zh": "计划版本", "en": "Plan as of"},
    "cutoff": {"zh": "数据截至", "en": "Data through"},
    "scenario": {"zh": "情景", "en": "Scenario"},
    "metric": {"zh": "指标", "en": "Metric"},
    "year_target": {"zh": "全年目标", "en": "Year target"},
    "actual_to_date": {"zh": "年初至今实际", "en": "Actual to date"},
    "of_target": {"zh": "完成目标的", "en": "of target"},
    "forecast_year": {"zh": "全年预测", "en": "Year forecast"},
    "forecast_year_note": {"zh": "实际 + 剩余月份预测", "en": "actuals + forecast of open months"},
    "gap": {"zh": "预测缺口", "en": "Gap to target"},
    "short_by": {"zh": "低于目标", "en": "short of target"},
    "ahead_by": {"zh": "高于目标", "en": "ahead of target"},
    "probability": {"zh": "完成全年目标概率", "en": "Probability of making the year"},
    "probability_note": {"zh": "基于预测样本路径", "en": "from the forecast's sample paths"},
    "remaining": {"zh": "剩余目标", "en": "Still to sell"},
    "remaining_note": {"zh": "{n} 个月，月均 {avg}", "en": "over {n} months, {avg} a month"},
    "not_available": {"zh": "暂无", "en": "n/a"},
    "summary_short": {
        "zh": "按当前预测，全年{metric}预计 {forecast}，低于目标 {gap}（{share}）。",
        "en": "On the current forecast, {metric} lands at {forecast}: {gap} ({share}) short "
        "of the year target.",
    },
    "summary_ahead": {
        "zh": "按当前预测，全年{metric}预计 {forecast}，高于目标 {gap}（{share}）。",
        "en": "On the current forecast, {metric} lands at {forecast}: {gap} ({share}) ahead "
        "of the year target.",
    },
    "summary_regions": {
        "zh": "{total} 个区域中有 {n} 个完成全年目标的概率低于 50%：{names}。",
        "en": "{n} of {total} regions have less than a 50% chance of making their year: {names}.",
    },
    "summary_regions_ok": {
        "zh": "所有区域完成概率均不低于 50%。",
        "en": "Every region has at least a 50% chance of making its year.",
    },
    "summary_alerts": {
        "zh": "本月共 {critical} 条严重预警、{warning} 条预警。",
        "en": "{critical} critical and {warning} warning alerts this month.",
    },
    "section_outlook": {"zh": "目标、预测与实际", "en": "Target, forecast and actual"},
    "section_outlook_note": {
        "zh": "柱：已关账月份的实际；线：当前目标；虚线及阴影：预测中位数与 80%/95% 区间。",
        "en": "Bars: actuals of closed months. Line: the target in effect. Dashed line and "
        "bands: forecast median with 80% and 95% intervals.",
    },
    "company": {"zh": "公司", "en": "Company"},
    "monthly": {"zh": "按月", "en": "By month"},
    "cumulative": {"zh": "累计", "en": "Cumulative"},
    "target": {"zh": "目标", "en": "Target"},
    "original_target": {"zh": "年初目标", "en": "Original target"},
    "actual": {"zh": "实际", "en": "Actual"},
    "forecast": {"zh": "预测", "en": "Forecast"},
    "interval_80": {"zh": "80% 区间", "en": "80% interval"},
    "interval_95": {"zh": "95% 区间", "en": "95% interval"},
    "prior_year": {"zh": "去年同期", "en": "Last year"},
    "floor": {"zh": "保底", "en": "Floor"},
    "stretch": {"zh": "挑战", "en": "Stretch"},
    "actual_plus_forecast": {"zh": "实际 + 预测", "en": "Actual + forecast"},
    "regions": {"zh": "各区域", "en": "Regions"},
    "region_title": {"zh": "{region} · 完成概率 {p}", "en": "{region} · {p} chance"},
    "no_forecast_intervals": {
        "zh": "已发布数据中没有该指标的预测区间（forecast_monthly），仅显示计划中的预测值。",
        "en": "The publication has no forecast intervals for this metric (forecast_monthly); "
        "the plan's point forecast is shown.",
    },
    "section_probability": {"zh": "完成全年目标的概率", "en": "Probability of making the year"},
    "section_probability_note": {
        "zh": "在预测样本路径中，全年实际 + 预测达到全年目标的比例。",
        "en": "Share of the forecast's sample paths in which actuals plus forecast reach the "
        "year target.",
    },
    "no_probability": {
        "zh": "已发布数据中没有完成概率（缺少预测样本路径）。",
        "en": "The publication has no probabilities (the forecast had no sample paths).",
    },
    "section_changes": {"zh": "与上月计划相比的变化", "en": "What changed since last month"},
    "section_changes_note": {
        "zh": "剩余月份（{first} 起）目标与所需商机数，从 {previous} 版本到本版本的分解；各部分之和"
        "等于总变化。",
        "en": "Targets and required opportunities of the months ahead (from {first}), from the "
        "{previous} version to this one; the parts add up to the total change.",
    },
    "no_changes": {
        "zh": "本财年没有上一版本计划，无变化分解。",
        "en": "There is no earlier plan version in this fiscal year to compare with.",
    },
    "previous_version": {"zh": "上版 {month}", "en": "{month} plan"},
    "current_version": {"zh": "本版 {month}", "en": "{month} plan"},
    "actuals_vs_plan": {"zh": "实际与计划差异", "en": "Actuals vs plan"},
    "forecast_revision": {"zh": "预测修正", "en": "Forecast revision"},
    "rate_changes": {"zh": "转化率变化", "en": "Rate changes"},
    "manual_adjustments": {"zh": "人工调整", "en": "Manual adjustments"},
    "total_change": {"zh": "总变化", "en": "Total change"},
    "remaining_target": {"zh": "剩余月份目标", "en": "Target, months ahead"},
    "required_opportunities": {"zh": "所需商机数", "en": "Required opportunities"},
    "region_changes": {"zh": "各区域剩余目标的变化", "en": "Change of each region's target ahead"},
    "section_funnel": {"zh": "完成剩余目标所需的漏斗工作", "en": "Funnel work the targets need"},
    "section_funnel_note": {
        "zh": "剩余月份目标倒推的工作量（按区域）。红色：本应在 {month} 之前开始、已来不及的部分。",
        "en": "Work behind the targets of the months ahead, per region. Red: work that had to "
        "start before {month} and is already late.",
    },
    "no_funnel": {
        "zh": "已发布数据中没有该指标的漏斗需求。",
        "en": "The publication has no funnel requirements for this metric.",
    },
    "on_time": {"zh": "仍来得及", "en": "Still possible"},
    "at_risk": {"zh": "已来不及（风险）", "en": "Too late (at risk)"},
    "required_won": {"zh": "赢单数", "en": "Won deals"},
    "required_sqls": {"zh": "SQL", "en": "SQLs"},
    "required_mqls": {"zh": "MQL", "en": "MQLs"},
    "required_leads": {"zh": "线索", "en": "Leads"},
    "required_activities": {"zh": "销售活动", "en": "Activities"},
    "opportunities": {"zh": "商机", "en": "Opportunities"},
    "section_alerts": {"zh": "重点预警", "en": "Top alerts"},
    "section_alerts_note": {
        "zh": "完成率 = 实际 ÷ 按季节性计划截至 {month} 底应完成的目标（100% 为正常节奏）。"
        "先列严重预警，再按公司、区域、产品线到个人排序。",
        "en": "Attainment = actual / the target the seasonal plan expected by the end of "
        "{month} (100% is on pace). Critical first, then from the company and regions down to "
        "individual sellers.",
    },
    "no_alerts": {
        "zh": "没有预警：所有节点均在节奏内。",
        "en": "No alerts: every node is on pace.",
    },
    "attainment": {"zh": "完成率（相对应完成）", "en": "Attainment vs expected pace"},
    "expected_pace": {"zh": "应完成", "en": "Expected"},
    "severity": {"zh": "级别", "en": "Severity"},
    "node": {"zh": "对象", "en": "Where"},
    "period": {"zh": "期间", "en": "Period"},
    "actual_vs_expected": {"zh": "实际 / 应完成", "en": "Actual / expected"},
    "alerts_more": {
        "zh": "另有 {n} 条预警未列出（见 attainment_alerts 表）。",
        "en": "{n} more alerts are in the attainment_alerts table.",
    },
    "footer": {
        "zh": "数据来源：已发布快照（salesplan.duckdb）中 {as_of} 版本的 target_plan、"
        "forecast_monthly、plan_changes、funnel_requirements、attainment_alerts。",
        "en": "Source: the {as_of} version of target_plan, forecast_monthly, plan_changes, "
        "funnel_requirements and attainment_alerts in the published snapshot (salesplan.duckdb).",
    },
    "manager": {"zh": "经理", "en": "Manager"},
    "rep": {"zh": "销售", "en": "Rep"},
    "rep_id": {"zh": "销售编号", "en": "Rep ID"},
    "name": {"zh": "姓名", "en": "Name"},
    "team": {"zh": "团队", "en": "Team"},
    "tier": {"zh": "级别", "en": "Tier"},
    "month": {"zh": "月份", "en": "Month"},
    "close_month": {"zh": "成交月份", "en": "Close month"},
    "start_month": {"zh": "商机创建月份", "en": "Create opportunities in"},
    "lead_start_month": {"zh": "线索开发月份", "en": "Generate leads in"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "year_total": {"zh": "剩余合计", "en": "Total ahead"},
    "adjusted_target": {"zh": "全年目标", "en": "Year target"},
    "p_attain": {"zh": "完成概率", "en": "Probability"},
    "sheet_summary": {"zh": "概览", "en": "Summary"},
    "sheet_targets": {"zh": "月度目标", "en": "Monthly targets"},
    "sheet_funnel": {"zh": "漏斗工作", "en": "Funnel work"},
    "required_calls": {"zh": "电话", "en": "Calls"},
    "required_visits": {"zh": "拜访", "en": "Visits"},
    "required_emails": {"zh": "邮件", "en": "Emails"},
    "required_demos": {"zh": "演示", "en": "Demos"},
    "required_meetings": {"zh": "会议", "en": "Meetings"},
    "workbook_title": {
        "zh": "{manager} 团队月度目标与漏斗工作",
        "en": "Monthly targets and funnel work, team of {manager}",
    },
    "unassigned": {"zh": "未分配经理", "en": "No manager"},
}


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if it is a supported language.

    Raises:
        ValueError: naming the value and the supported languages.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang {lang!r} is not supported; use one of {', '.join(LANGUAGES)}")
    return lang  # type: ignore[return-value]


def text(key: str, lang: Lang, **values: object) -> str:
    """Return the sentence ``key`` in ``lang`` with ``values`` filled in."""
    template = TEXT[key][lang]
    return template.format(**values) if values else template


def region_name(code: str, lang: Lang) -> str:
    """Return the display name of a region code (the code itself when unknown)."""
    return (_REGIONS_ZH if lang == "zh" else _REGIONS_EN).get(code, code)


def product_line_name(code: str, lang: Lang) -> str:
    """Return the display name of a product line (the code itself in ``en`` or when unknown)."""
    return _PRODUCT_LINES_ZH.get(code, code) if lang == "zh" else code


def channel_name(code: str, lang: Lang) -> str:
    """Return the display name of a channel."""
    return _CHANNELS[lang].get(code, code)


def metric_name(metric: str, lang: Lang) -> str:
    """Return the display name of a target metric."""
    return _METRICS[lang].get(metric, metric)


def severity_name(severity: str, lang: Lang) -> str:
    """Return the display name of an alert severity."""
    return _SEVERITIES[lang].get(severity, severity)


def month_label(month: dt.date, lang: Lang) -> str:
    """Return a month as a heading: ``2026年8月`` or ``Aug 2026``."""
    if lang == "zh":
        return f"{month.year}年{month.month}月"
    return f"{_MONTHS_EN[month.month - 1]} {month.year}"


def short_month_label(month: dt.date, lang: Lang) -> str:
    """Return a month as an axis tick: ``8月`` or ``Aug``."""
    return f"{month.month}月" if lang == "zh" else _MONTHS_EN[month.month - 1]


def day_label(day: dt.date, lang: Lang) -> str:
    """Return a date: ``2026年7月31日`` or ``31 Jul 2026``."""
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def format_money(value: float | None, lang: Lang, currency: str = "CNY") -> str:
    """Return an amount of money with the language's scale words.

    ``zh``: 亿 from 10^8, 万 from 10^4, then the currency (``7.54亿元``, ``-558.4万元``);
    ``en``: B/M/K after the currency code (``CNY 7.54B``, ``-CNY 5.58M``). Three significant
    digits, enough to compare and short enough to read.
    """
    if value is None or not math.isfinite(value):
        return TEXT["not_available"][lang]
    sign = "-" if value < 0 else ""
    amount = abs(value)
    # The scale is chosen on the value rounded to three digits, so 999,600 is "1.00M", not
    # "1,000K".
    rounded = float(f"{amount:.3g}")
    if lang == "zh":
        unit = _CURRENCY_ZH.get(currency, f" {currency}")
        for scale, word in ((1e8, "亿"), (1e4, "万")):
            if rounded >= scale:
                return f"{sign}{_three_digits(amount / scale)}{word}{unit}"
        return f"{sign}{amount:,.0f}{unit}"
    for scale, word in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if rounded >= scale:
            return f"{sign}{currency} {_three_digits(amount / scale)}{word}"
    return f"{sign}{currency} {amount:,.0f}"


def format_signed_money(value: float, lang: Lang, currency: str = "CNY") -> str:
    """Return an amount with an explicit ``+`` for increases (for changes)."""
    return ("+" if value > 0 else "") + format_money(value, lang, currency)


def format_count(value: float | None, lang: Lang) -> str:
    """Return a count of work items, rounded up (2.3 required deals are 3 deals of work)."""
    if value is None or not math.isfinite(value):
        return TEXT["not_available"][lang]
    # 1e-6 absorbs float noise from sums of rounded rates (3.0000001 is 3 deals, not 4).
    return f"{math.ceil(value - 1e-6):,}"


def format_pct(value: float | None, lang: Lang) -> str:
    """Return a share as whole percent (``63%``), or n/a."""
    if value is None or not math.isfinite(value):
        return TEXT["not_available"][lang]
    return f"{value:.0%}"


def money_axis(max_abs: float, lang: Lang, currency: str = "CNY") -> tuple[float, str]:
    """Return ``(divisor, unit label)`` for a chart axis of money up to ``max_abs``.

    ``zh`` plots in 万 (or 亿 from 10^10, where 万 ticks would need seven digits); ``en`` in
    M (or K below 10^6, B from 10^10).
    """
    if lang == "zh":
        unit = _CURRENCY_ZH.get(currency, currency)
        if max_abs >= 1e10:
            return 1e8, f"亿{unit}"
        if max_abs >= 1e4:
            return 1e4, f"万{unit}"
        return 1.0, unit
    if max_abs >= 1e10:
        return 1e9, f"{currency} B"
    if max_abs >= 1e6:
        return 1e6, f"{currency} M"
    if max_abs >= 1e3:
        return 1e3, f"{currency} K"
    return 1.0, currency


def _three_digits(number: float) -> str:
    # Decide on the rounded value, so 99.96 prints as "100", not "100.0".
    if round(number, 1) >= 100:
        return f"{number:,.0f}"
    if round(number, 2) >= 10:
        return f"{number:.1f}"
    return f"{number:.2f}"
