"""Manager workbooks: one ``.xlsx`` per sales manager with their reps' targets and funnel work.

Many sales teams plan in Excel. :func:`write_manager_workbooks` reads one plan version from the
published serving file and writes, per manager (``rep_targets.manager_id``; reps without a
manager share one ``unassigned`` file), a workbook with three sheets:

* **Summary**: per rep and metric, the year target, actual to date, what is still to sell,
  the year forecast and the probability of making it;
* **Monthly targets**: per rep and metric, the target of every remaining month of the fiscal
  year (the as-of month on) and their total;
* **Funnel work**: per rep, metric, close month and start month, the deals, opportunities,
  SQLs, MQLs, leads and activities the targets need, with late work flagged.

Numbers are written exactly as published (money in units of the reporting currency, work
counts unrounded) and formatted for reading (thousands separators, one decimal for work,
percent for probabilities); headers are frozen, columns sized to their content, and the tables
filterable. Sheets and headers are in Chinese or English.

The files are written with XlsxWriter, which streams cells straight into the sheet's XML:
openpyxl, which keeps a cell object per value and looks its style up by hash, took twice as long,
and the workbooks were the largest part of the report stage at every demo size. The files are
independent, so a large version's are written on ``n_jobs`` processes (at ``large``, 151
workbooks of as-of 2026-02: 30 s on one core, 17 s on two).

Files are named ``targets_<YYYY-MM>_<manager_id>.xlsx`` and are byte-identical for the same
inputs: the document's dates are the as-of month, never the clock, and XlsxWriter gives every
zip entry the same fixed time. Files of
the same as-of month from an earlier run that no longer have a manager are removed, so a
replayed month leaves exactly its own files.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from publishing.report_data import (
    ACTIVITY_COLUMNS,
    FUNNEL_STAGES,
    OFFICIAL,
    REP_TARGETS_REQUIRED,
    ReportInputError,
    ServingFile,
)
from publishing.report_i18n import Lang, check_lang, metric_name, text
from salesplan.months import format_month, parse_month
from salesplan.processes import spawn_pool

UNASSIGNED = "unassigned"
FILE_PATTERN = "targets_{month}_{manager}.xlsx"
METRIC_ORDER = (
    "bookings",
    "new_bookings",
    "expansion_bookings",
    "renewal_bookings",
    "collections",
    "new_customers",
)
MONEY_FORMAT = "#,##0"
COUNT_FORMAT = "#,##0"
WORK_FORMAT = "#,##0.0"
SHARE_FORMAT = "0%"
HEADER_STYLE = {
    "bold": True,
    "font_color": "#FFFFFF",
    "bg_color": "#1B2A4A",
    "pattern": 1,
    "align": "center",
    "valign": "vcenter",
    "text_wrap": True,
}
TITLE_STYLE = {"bold": True, "font_size": 14, "font_color": "#1B2A4A"}
LATE_STYLE = {"font_color": "#C0392B"}
# Cell text is data, never a formula or a link (a rep named "=1+1" stays text).
WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
}
FUNNEL_REQUIRED = (
    "as_of_month",
    "scenario",
    "metric",
    "level",
    "rep_id",
    "month",
    "start_month",
    "lead_start_month",
    "at_risk",
    *FUNNEL_STAGES,
)
WORK_COLUMNS = (*FUNNEL_STAGES[:-1], *ACTIVITY_COLUMNS, FUNNEL_STAGES[-1])
# Below this many rows of funnel work, a version's workbooks take under ~3 s on one core of
# the 2-core development machine, and a second process (~0.7 s to start) saves little.
PARALLEL_FROM_ROWS = 20_000


@dataclass(frozen=True)
class Team:
    """One manager's reps and their published rows.

    Attributes:
        manager_id: the manager's rep id, or :data:`UNASSIGNED`.
        manager_name: the manager's name when the serving file knows it, else ``None``.
        targets: the reps' ``rep_targets`` rows of the version.
        funnel: the reps' work per metric, close month, start month and lateness.
    """

    manager_id: str
    manager_name: str | None
    targets: pd.DataFrame
    funnel: pd.DataFrame


def write_manager_workbooks(
    serving_db: Path,
    as_of_month: str,
    out_dir: Path,
    *,
    lang: Lang = "en",
    scenario: str = OFFICIAL,
    n_jobs: int = 1,
) -> list[Path]:
    """Write one workbook per manager for one as-of month.

    Args:
        serving_db: the published serving DuckDB file.
        as_of_month: ``YYYY-MM``, a version the serving file holds.
        out_dir: the folder to write into (created if missing).
        lang: ``zh`` or ``en`` (sheet names and headers).
        scenario: the plan scenario.
        n_jobs: processes that write the files, this one included. A version with fewer than
            :data:`PARALLEL_FROM_ROWS` rows of funnel work is written here alone.

    Returns:
        The files written, sorted by manager id.

    Raises:
        ReportInputError: when ``rep_targets`` is missing, lacks a column or the version.
    """
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1, got {n_jobs}")
    lang = check_lang(lang)
    as_of = parse_month(as_of_month)
    teams = read_teams(Path(serving_db), as_of, scenario)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(team, out_dir / workbook_name(as_of, team.manager_id)) for team in teams]
    if n_jobs > 1 and sum(len(team.funnel) for team in teams) >= PARALLEL_FROM_ROWS:
        _write_in_parallel(jobs, as_of, lang, n_jobs)
    else:
        _write_share(jobs, as_of, lang)
    written = [path for _, path in jobs]
    keep = {path.name for path in written}
    for stale in out_dir.glob(FILE_PATTERN.format(month=format_month(as_of), manager="*")):
        if stale.name not in keep:
            stale.unlink()
    return written


def _write_in_parallel(
    jobs: Sequence[tuple[Team, Path]], as_of: dt.date, lang: Lang, n_jobs: int
) -> None:
    """Write the workbooks in ``n_jobs`` shares of about equal size, one of them here.

    The other shares go to ``n_jobs - 1`` worker processes, started with ``spawn`` (safe in a
    process that holds threads, as Dagster's and DuckDB's do), which exit if this process is
    killed.
    """
    shares = _shares(jobs, n_jobs)
    with spawn_pool(n_jobs - 1) as pool:
        others = [pool.submit(_write_share, share, as_of, lang) for share in shares[1:] if share]
        _write_share(shares[0], as_of, lang)
        for future in others:
            future.result()


def _shares(jobs: Sequence[tuple[Team, Path]], n_jobs: int) -> list[list[tuple[Team, Path]]]:
    """Split the workbooks into ``n_jobs`` shares of about equal work (the first is written here).

    The largest team goes first, each to the share with the least work so far.
    """
    shares: list[list[tuple[Team, Path]]] = [[] for _ in range(n_jobs)]
    sizes = [0] * n_jobs
    for job in sorted(jobs, key=lambda job: -_work_size(job[0])):
        least = sizes.index(min(sizes))
        shares[least].append(job)
        sizes[least] += _work_size(job[0])
    return shares


def _write_share(jobs: Sequence[tuple[Team, Path]], as_of: dt.date, lang: Lang) -> None:
    for team, path in jobs:
        write_workbook(team, as_of, lang, path)


def _work_size(team: Team) -> int:
    """About how long a team's workbook takes to write: its rows."""
    return len(team.funnel) + len(team.targets)


def workbook_name(as_of: dt.date, manager_id: str) -> str:
    """The file name of a manager's workbook (ids are reduced to safe file-name characters)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", manager_id)
    return FILE_PATTERN.format(month=format_month(as_of), manager=safe)


def read_teams(serving_db: Path, as_of: dt.date, scenario: str = OFFICIAL) -> list[Team]:
    """Read the version's rep targets and funnel work, grouped by manager.

    Raises:
        ReportInputError: when ``rep_targets`` is missing, lacks a column or the version.
    """
    month = format_month(as_of)
    with ServingFile(serving_db) as serving:
        serving.require("rep_targets", REP_TARGETS_REQUIRED)
        targets = serving.version("rep_targets", as_of, "scenario = $scenario", scenario=scenario)
        if targets.empty:
            raise ReportInputError(
                f"{serving.path}: rep_targets has no rows for as_of_month {month}, scenario "
                f"{scenario!r}; versions present: {serving.versions('rep_targets')}"
            )
        funnel = pd.DataFrame(columns=list(FUNNEL_REQUIRED))
        if serving.has("funnel_requirements"):
            serving.require("funnel_requirements", FUNNEL_REQUIRED)
            funnel = serving.version(
                "funnel_requirements",
                as_of,
                "scenario = $scenario AND level = 'rep_id'",
                scenario=scenario,
            )
        names = _manager_names(serving)
    targets["manager_key"] = [
        str(value) if isinstance(value, str) and value else UNASSIGNED
        for value in targets["manager_id"]
    ]
    work = rep_funnel(funnel)
    # Activity types planning.yml does not plan (all zero in the whole version) only add
    # empty columns; dropping them version-wide keeps every manager's file the same shape.
    unused = [c for c in ACTIVITY_COLUMNS if c in work.columns and not work[c].astype(bool).any()]
    work = work.drop(columns=unused)
    # Each rep's rows of work, by position: a team takes its reps' rows in one go. Filtering
    # the whole frame once per manager cost managers x rows: at `xlarge` (1,500 managers,
    # ~470,000 rows) read_teams took 24-26 s; by position it takes 7-9 s.
    rows_of_rep = work.groupby("rep_id", sort=False).indices
    none = np.empty(0, dtype=np.intp)
    teams = []
    for manager, rows in targets.groupby("manager_key", sort=True):
        positions = [rows_of_rep.get(rep, none) for rep in rows["rep_id"].unique()]
        funnel = work.take(np.sort(np.concatenate([none, *positions])))
        teams.append(
            Team(
                manager_id=str(manager),
                manager_name=names.get(str(manager)),
                targets=rows.reset_index(drop=True),
                funnel=funnel.reset_index(drop=True),
            )
        )
    return teams


def rep_funnel(funnel: pd.DataFrame) -> pd.DataFrame:
    """Sum a rep's funnel rows over their leaves (one per product line they sell).

    Returns:
        One row per metric, rep, close month, start month and lateness, with the earliest
        lead start month and the sums of every stage and activity column, sorted.
    """
    stages = [column for column in WORK_COLUMNS if column in funnel.columns]
    keys = ["metric", "rep_id", "month", "start_month", "at_risk"]
    if funnel.empty:
        return pd.DataFrame(columns=[*keys, "lead_start_month", *stages])
    frame = funnel.assign(
        month=_month_starts(funnel["month"]),
        start_month=_month_starts(funnel["start_month"]),
        # NULL for streams without a lead stage (expansion, renewal): min() skips NaT.
        lead_start_month=_month_starts(funnel["lead_start_month"]),
        at_risk=funnel["at_risk"].astype(bool),
    )
    grouped = (
        frame.groupby(keys, sort=False)
        .agg({"lead_start_month": "min", **dict.fromkeys(stages, "sum")})
        .reset_index()
    )
    grouped["_metric"] = grouped["metric"].map(_metric_rank)
    grouped = grouped.sort_values(
        ["rep_id", "_metric", "metric", "month", "start_month", "at_risk"], kind="stable"
    )
    return grouped.drop(columns="_metric").reset_index(drop=True)[
        [*keys[:4], "lead_start_month", "at_risk", *stages]
    ]


def write_workbook(team: Team, as_of: dt.date, lang: Lang, path: Path) -> None:
    """Write the workbook of one team to ``path`` (see the module docstring).

    The file is written next to ``path`` and renamed, so no reader ever sees half of it.
    """
    buffer = io.BytesIO()
    workbook = Workbook(buffer, WORKBOOK_OPTIONS)
    styles = _Styles(workbook)
    manager = _manager_label(team, lang)
    _summary_sheet(
        workbook.add_worksheet(text("sheet_summary", lang)), styles, team, as_of, lang, manager
    )
    _targets_sheet(workbook.add_worksheet(text("sheet_targets", lang)), styles, team, as_of, lang)
    _funnel_sheet(workbook.add_worksheet(text("sheet_funnel", lang)), styles, team, lang)
    workbook.set_properties(
        {
            "title": text("workbook_title", lang, manager=manager),
            "author": "salesplan",
            "created": dt.datetime(as_of.year, as_of.month, 1),
        }
    )
    workbook.close()
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, path)


@dataclass
class _Styles:
    """The cell formats of one workbook, each created once."""

    workbook: Workbook
    _cells: dict[tuple[str | None, bool], Format | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.header = self.workbook.add_format(HEADER_STYLE)
        self.title = self.workbook.add_format(TITLE_STYLE)

    def cell(self, number_format: str | None, late: bool) -> Format | None:
        """The format of a table cell: its number format, in red when the work is late."""
        key = (number_format, late)
        if key not in self._cells:
            style = {
                **(LATE_STYLE if late else {}),
                **({"num_format": number_format} if number_format else {}),
            }
            self._cells[key] = self.workbook.add_format(style) if style else None
        return self._cells[key]


# --------------------------------------------------------------------------- sheets


@dataclass(frozen=True)
class _Column:
    """One column of a sheet's table.

    Attributes:
        header: the header text.
        values: one per row: text, a number, or ``None`` for an empty cell.
        number_format: ``None`` for a text column; for a number column, its format, or one
            format per row.
    """

    header: str
    values: Sequence[object]
    number_format: str | Sequence[str] | None = None


def _summary_sheet(
    sheet: Worksheet, styles: _Styles, team: Team, as_of: dt.date, lang: Lang, manager: str
) -> None:
    sheet.write_string(0, 0, text("workbook_title", lang, manager=manager), styles.title)
    sheet.write_string(1, 0, f"{text('as_of', lang)}: {format_month(as_of)}")
    cutoff = as_of - dt.timedelta(days=1)
    sheet.write_string(2, 0, f"{text('cutoff', lang)}: {cutoff.isoformat()}")
    targets = team.targets
    years = _ordered(targets[targets["grain"] == "year"])
    open_months = _open_month_rows(targets, as_of).groupby(["rep_id", "metric"])["period_target"]
    remaining = open_months.sum()
    still_to_sell = [
        float(remaining.get(key, 0.0)) for key in zip(years["rep_id"], years["metric"], strict=True)
    ]
    number = _unit_formats(years["unit"])
    columns = [
        _Column(text("rep_id", lang), years["rep_id"].astype(str).tolist()),
        _Column(text("name", lang), _texts(years["name"])),
        _Column(text("team", lang), _texts(years["team"])),
        _Column(text("tier", lang), _texts(years["tier"])),
        _Column(text("metric", lang), _metric_names(years["metric"], lang)),
        _Column(text("adjusted_target", lang), _numbers(years["adjusted_target"]), number),
        _Column(text("actual_to_date", lang), _numbers(years["actual_to_date"]), number),
        _Column(text("remaining", lang), still_to_sell, number),
        _Column(text("forecast_year", lang), _numbers(years["forecast"]), number),
        _Column(text("p_attain", lang), _numbers(years["p_attain"]), SHARE_FORMAT),
    ]
    _table(sheet, styles, 5, columns)
    sheet.freeze_panes("C6")


def _targets_sheet(
    sheet: Worksheet, styles: _Styles, team: Team, as_of: dt.date, lang: Lang
) -> None:
    rows_open = _open_month_rows(team.targets, as_of)
    months = sorted(set(rows_open["period"]))
    wide = rows_open.pivot_table(
        index=["rep_id", "metric"], columns="period", values="period_target", aggfunc="sum"
    )
    info = team.targets.drop_duplicates(["rep_id", "metric"])
    ordered = _ordered(info)
    keys = pd.MultiIndex.from_frame(ordered[["rep_id", "metric"]])
    # A rep and metric without open months (or months without a target) get 0.
    targets = wide.reindex(index=keys, columns=months).fillna(0.0).to_numpy(dtype=float)
    number = _unit_formats(ordered["unit"])
    columns = [
        _Column(text("rep_id", lang), ordered["rep_id"].astype(str).tolist()),
        _Column(text("name", lang), _texts(ordered["name"])),
        _Column(text("metric", lang), _metric_names(ordered["metric"], lang)),
        *(_Column(month, targets[:, index].tolist(), number) for index, month in enumerate(months)),
        # Summed left to right, as the row reads.
        _Column(text("year_total", lang), [sum(row) for row in targets.tolist()], number),
    ]
    _table(sheet, styles, 1, columns)
    sheet.freeze_panes("D2")


def _funnel_sheet(sheet: Worksheet, styles: _Styles, team: Team, lang: Lang) -> None:
    funnel = team.funnel
    names = team.targets.drop_duplicates("rep_id").set_index("rep_id")["name"]
    stages = [column for column in WORK_COLUMNS if column in funnel.columns]
    late = funnel["at_risk"].astype(bool).tolist()
    answers = {True: text("yes", lang), False: text("no", lang)}
    columns = [
        _Column(text("rep_id", lang), funnel["rep_id"].astype(str).tolist()),
        _Column(text("name", lang), _texts(funnel["rep_id"].map(names))),
        _Column(text("metric", lang), _metric_names(funnel["metric"], lang)),
        _Column(text("close_month", lang), _month_texts(funnel["month"])),
        _Column(text("start_month", lang), _month_texts(funnel["start_month"])),
        _Column(text("lead_start_month", lang), _month_texts(funnel["lead_start_month"])),
        _Column(text("at_risk", lang), [answers[flag] for flag in late]),
        *(
            _Column(_stage_header(stage, lang), funnel[stage].astype(float).tolist(), WORK_FORMAT)
            for stage in stages
        ),
    ]
    _table(sheet, styles, 1, columns, late_rows=late)
    sheet.freeze_panes("C2")


def _table(
    sheet: Worksheet,
    styles: _Styles,
    header_row: int,
    columns: Sequence[_Column],
    late_rows: Sequence[bool] | None = None,
) -> None:
    """Write a header on (1-based) ``header_row`` and the columns' cells below it.

    Columns are sized to their content and the table is filterable. Rows flagged in
    ``late_rows`` (work that should already have started) are written in red.
    """
    top = header_row - 1
    count = len(columns[0].values) if columns else 0
    late = late_rows if late_rows is not None else [False] * count
    cells = []
    for col, column in enumerate(columns):
        sheet.write_string(top, col, column.header, styles.header)
        # 2 characters of padding, and no column wider than 40 (long names wrap in Excel).
        sheet.set_column(col, col, min(_column_width(column) + 2, 40))
        formats = column.number_format
        write = sheet.write_string if formats is None else sheet.write_number
        # (style, late style): one pair for the column, or one per row.
        pair, pairs = None, None
        if formats is None or isinstance(formats, str):
            pair = (styles.cell(formats, False), styles.cell(formats, True))
        else:
            pairs = [(styles.cell(f, False), styles.cell(f, True)) for f in formats]
        cells.append((col, write, column.values, pair, pairs))
    # Row by row, as a reader goes: the shared strings are then numbered in reading order.
    for index, is_late in enumerate(late):
        row = top + 1 + index
        for col, write, values, pair, pairs in cells:
            value = values[index]
            style = (pair if pairs is None else pairs[index])[is_late]
            if value is None:
                if style is not None:
                    sheet.write_blank(row, col, None, style)
            else:
                write(row, col, value, style)
    last_row = header_row + max(count, 1)
    sheet.autofilter(f"A{header_row}:{xl_col_to_name(len(columns) - 1)}{last_row}")


def _column_width(column: _Column) -> int:
    """The display width of the header and of the widest value as Excel about shows it.

    Numbers show with separators and at most one decimal. The width of that text grows with
    the number's size on either side of zero, so the largest and the smallest decide it.
    """
    values = [value for value in column.values if value is not None]
    if column.number_format is None:
        shown = [str(value) for value in set(values)]
    else:
        numbers = [value for value in values if value == value]  # not NaN
        shown = [f"{value:,.1f}" for value in (max(numbers), min(numbers))] if numbers else []
    return max([_width(column.header), *(_width(value) for value in shown)])


# --------------------------------------------------------------------------- helpers


def _manager_names(serving: ServingFile) -> dict[str, str]:
    """Managers' names from ``dim_rep`` when the publication includes it."""
    if not serving.has("dim_rep") or not {"rep_id", "name"} <= set(serving.columns("dim_rep")):
        return {}
    rows = serving.query("SELECT DISTINCT rep_id, name FROM dim_rep ORDER BY rep_id, name")
    return {str(rep): str(name) for rep, name in rows.itertuples(index=False) if name}


def _manager_label(team: Team, lang: Lang) -> str:
    if team.manager_id == UNASSIGNED:
        return text("unassigned", lang)
    if team.manager_name:
        return f"{team.manager_name} ({team.manager_id})"
    return team.manager_id


def _open_month_rows(targets: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    months = targets[targets["grain"] == "month"]
    return months[_month_starts(months["period_start"]) >= pd.Timestamp(as_of)]


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by rep, then metrics in the report's order."""
    return frame.assign(_metric=frame["metric"].map(_metric_rank)).sort_values(
        ["rep_id", "_metric", "metric"], kind="stable"
    )


def _metric_rank(metric: object) -> int:
    return METRIC_ORDER.index(metric) if metric in METRIC_ORDER else len(METRIC_ORDER)


def _stage_header(stage: str, lang: Lang) -> str:
    return text("opportunities" if stage == "required_opportunities" else stage, lang)


def _month_starts(values: pd.Series) -> pd.Series:
    """The first day of each value's month (dates, timestamps or ``YYYY-MM...`` text)."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values.astype("string").str.slice(0, 7), format="%Y-%m")
    return values.dt.to_period("M").dt.to_timestamp()


def _month_texts(values: pd.Series) -> list[str | None]:
    """``YYYY-MM`` of each value's month, ``None`` where there is none."""
    texts = _month_starts(values).dt.strftime("%Y-%m")
    return [None if pd.isna(value) else value for value in texts]


def _metric_names(metrics: pd.Series, lang: Lang) -> list[str]:
    names = {metric: metric_name(str(metric), lang) for metric in metrics.unique()}
    return [names[metric] for metric in metrics]


def _unit_formats(units: pd.Series) -> list[str]:
    return [MONEY_FORMAT if unit == "money" else COUNT_FORMAT for unit in units]


def _numbers(values: pd.Series) -> list[float | None]:
    """Floats, ``None`` for a missing value (written as an empty cell)."""
    return [None if pd.isna(value) else value for value in values.astype(float).tolist()]


def _texts(values: pd.Series) -> list[str | None]:
    """Text, ``None`` for a missing value."""
    return [
        None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
        for value in values.tolist()
    ]


def _width(value: str) -> int:
    """Display width: CJK characters take two columns in Excel and LibreOffice."""
    if value.isascii():
        return len(value)
    return sum(2 if ord(char) > 0x2E80 else 1 for char in value)
