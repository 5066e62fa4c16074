"""File shapes of the demo extracts and the source profiles that describe them.

Most files are canonical (the column names and values of ``salesplan.entities``). The China
regions' leads and opportunities come as a Chinese CRM (纷享销客-style) spreadsheet export and
the international region's as a Salesforce report export; :class:`Shape` turns a canonical
table into such an export and writes the profile YAML that maps it back
(docs/architecture.md, "Source profiles").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from demodata import catalog
from salesplan.entities import ENTITIES

Format = Literal["csv", "parquet", "xlsx"]
Market = Literal["china", "international"]

_EXTENSIONS = {"csv": "csv", "parquet": "parquet", "xlsx": "xlsx"}


@dataclass(frozen=True)
class Shape:
    """How one kind of extract file looks, and the profile that maps it onto its entity.

    Attributes:
        profile: unique profile name (also the YAML file name).
        entity: the canonical entity the file feeds.
        folder: sub-folder of the extract month folder.
        stem: file name before ``_<YYYY-MM>.<ext>``.
        format: ``csv``, ``parquet`` or ``xlsx``.
        encoding: CSV encoding.
        columns: canonical column -> source column, in the export's column order. Empty for
            canonical files.
        values: canonical column -> {source value: canonical value}.
        date_formats: canonical column -> strptime format of the export.
        booleans: source spellings of true and of false.
        constants: canonical column -> value, for columns the export lacks.
        optional: a month may have no file of this shape.
        quote_all: quote every value (Salesforce does), not only strings.
        market: which regions' records go into this shape (``None``: all).
    """

    profile: str
    entity: str
    folder: str
    stem: str
    format: Format
    encoding: str = "utf-8"
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)
    booleans: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    constants: dict[str, str] = field(default_factory=dict)
    optional: bool = False
    quote_all: bool = False
    market: Market | None = None

    @property
    def pattern(self) -> str:
        """Glob of this shape's files relative to the extract month folder."""
        return f"{self.folder}/{self.stem}_*.{_EXTENSIONS[self.format]}"

    def file_name(self, label: str) -> str:
        """The path of the file for ``label`` (a ``YYYY-MM``) relative to the month folder."""
        return f"{self.folder}/{self.stem}_{label}.{_EXTENSIONS[self.format]}"

    def profile_document(self) -> dict[str, object]:
        """The profile as a YAML-ready mapping, keys in the order of docs/architecture.md."""
        document: dict[str, object] = {
            "profile": self.profile,
            "entity": self.entity,
            "pattern": self.pattern,
            "format": self.format,
        }
        if self.format == "csv":
            document["encoding"] = self.encoding
            document["delimiter"] = ","
        if self.format == "xlsx":
            document["sheet"] = 0
        document["optional"] = self.optional
        if self.columns:
            document["columns"] = dict(self.columns)
        if self.values:
            document["values"] = {column: dict(mapping) for column, mapping in self.values.items()}
        if self.date_formats:
            document["date_formats"] = dict(self.date_formats)
        if self.booleans:
            # Keys true/false, as in the documented format (YAML reads them as booleans).
            document["booleans"] = {True: list(self.booleans[0]), False: list(self.booleans[1])}
        if self.constants:
            document["constants"] = dict(self.constants)
        return document

    def to_source(self, table: pa.Table) -> pa.Table:
        """Turn a canonical ``table`` of :attr:`entity` into this shape's export table."""
        if not self.columns:
            return table
        output = {}
        for canonical, source in self.columns.items():
            column = table.column(canonical)
            if canonical in self.values:
                column = _encode(column, self.values[canonical])
            elif canonical in self.date_formats:
                column = _format_time(column, self.date_formats[canonical])
            elif pa.types.is_boolean(column.type) and self.booleans:
                column = pc.if_else(column, self.booleans[0][0], self.booleans[1][0])
            output[source] = column
        return pa.table(output)


def _encode(column: pa.ChunkedArray, mapping: dict[str, str]) -> pa.Array:
    """Replace canonical values by their source label (the inverse of the profile's map)."""
    inverse: dict[str, str] = {}
    for source, canonical in mapping.items():
        inverse.setdefault(canonical, source)
    canonical_values = pa.array(list(inverse), pa.string())
    source_values = pa.array(list(inverse.values()), pa.string())
    position = pc.index_in(column, value_set=canonical_values)
    unknown = pc.and_(pc.is_null(position), pc.is_valid(column))
    if pc.any(unknown).as_py():
        bad = pc.filter(column, unknown)[0].as_py()
        raise ValueError(f"no source label for canonical value {bad!r}")
    return pc.take(source_values, position)


def _format_time(column: pa.ChunkedArray, fmt: str) -> pa.Array:
    text = pc.strftime(column, format=fmt)
    if "%I" in fmt:
        # Salesforce writes the 12-hour clock without a leading zero: 3/5/2024 2:30 PM.
        text = pc.replace_substring_regex(text, pattern=r" 0(\d):", replacement=r" \1:")
    return text


# ------------------------------------------------------------------ the Chinese CRM export
_CHINESE_REGIONS = {r.name_zh: r.code for r in catalog.REGIONS if not r.international}
_CHINESE_LINES = {label: code for code, label in catalog.PRODUCT_LINE_ZH.items()}
_CHINESE_STAGES = {
    "初步接洽": "prospecting",
    "需求确认": "qualification",
    "方案设计": "solution",
    "方案报价": "proposal",
    "商务谈判": "negotiation",
    "赢单": "closed_won",
    "输单": "closed_lost",
}
_CHINESE_SOURCES = {
    "官网": "web",
    "展会活动": "event",
    "客户转介绍": "referral",
    "合作伙伴": "partner",
    "电话外呼": "outbound",
    "广告投放": "ads",
}
_CHINESE_DATETIME = "%Y/%m/%d %H:%M"
_CHINESE_DATE = "%Y/%m/%d"

FXIAOKE_LEADS = Shape(
    profile="fxiaoke_leads",
    entity="leads",
    folder="fxiaoke",
    stem="线索导出",
    format="csv",
    encoding="gbk",
    columns={
        "lead_id": "线索编号",
        "created_at": "创建时间",
        "source_channel": "线索来源",
        "region": "所属区域",
        "product_line": "意向产品线",
        "owner_rep_id": "负责人ID",
        "mql_at": "转MQL时间",
        "sql_at": "转SQL时间",
        "disqualified_at": "作废时间",
        "converted_opportunity_id": "转化商机编号",
    },
    values={
        "source_channel": _CHINESE_SOURCES,
        "region": _CHINESE_REGIONS,
        "product_line": _CHINESE_LINES,
    },
    date_formats={
        "created_at": _CHINESE_DATETIME,
        "mql_at": _CHINESE_DATETIME,
        "sql_at": _CHINESE_DATETIME,
        "disqualified_at": _CHINESE_DATETIME,
    },
    market="china",
)

FXIAOKE_OPPORTUNITIES = Shape(
    profile="fxiaoke_opportunities",
    entity="opportunities",
    folder="fxiaoke",
    stem="商机导出",
    format="csv",
    encoding="gbk",
    columns={
        "opportunity_id": "商机编号",
        "account_id": "客户编号",
        "created_at": "创建时间",
        "close_date": "预计成交日期",
        "stage": "商机阶段",
        "is_won": "是否赢单",
        "is_closed": "是否关闭",
        "amount": "商机金额(元)",
        "product_line": "产品线",
        "region": "所属区域",
        "channel": "销售渠道",
        "partner_id": "合作伙伴编号",
        "deal_type": "商机类型",
        "owner_rep_id": "负责人ID",
    },
    values={
        "stage": _CHINESE_STAGES,
        "product_line": _CHINESE_LINES,
        "region": _CHINESE_REGIONS,
        "channel": {"直销": "direct", "渠道": "partner"},
        "deal_type": {"新购": "new", "增购": "expansion", "续费": "renewal"},
    },
    date_formats={"created_at": _CHINESE_DATETIME, "close_date": _CHINESE_DATE},
    booleans=(("是",), ("否",)),
    # The Chinese CRM keeps every amount in yuan and has no currency column.
    constants={"currency": "CNY"},
    market="china",
)

# ------------------------------------------------------------------ the Salesforce export
_SALESFORCE_DATETIME = "%m/%d/%Y %I:%M %p"
_SALESFORCE_DATE = "%m/%d/%Y"
_SALESFORCE_LINES = {label: code for code, label in catalog.PRODUCT_LINE_SALESFORCE.items()}
_SALESFORCE_STAGES = {
    "Prospecting": "prospecting",
    "Qualification": "qualification",
    "Needs Analysis": "solution",
    "Proposal/Price Quote": "proposal",
    "Negotiation/Review": "negotiation",
    "Closed Won": "closed_won",
    "Closed Lost": "closed_lost",
}
_SALESFORCE_SOURCES = {
    "Web": "web",
    "Trade Show": "event",
    "External Referral": "referral",
    "Partner": "partner",
    "Outbound Prospecting": "outbound",
    "Advertisement": "ads",
}

SALESFORCE_LEADS = Shape(
    profile="salesforce_leads",
    entity="leads",
    folder="salesforce",
    stem="Lead_Report",
    format="csv",
    columns={
        "lead_id": "Lead ID",
        "created_at": "Created Date",
        "source_channel": "Lead Source",
        "product_line": "Product Interest",
        "owner_rep_id": "Lead Owner ID",
        "mql_at": "MQL Date",
        "sql_at": "SQL Date",
        "disqualified_at": "Disqualified Date",
        "converted_opportunity_id": "Converted Opportunity ID",
    },
    values={"source_channel": _SALESFORCE_SOURCES, "product_line": _SALESFORCE_LINES},
    date_formats={
        "created_at": _SALESFORCE_DATETIME,
        "mql_at": _SALESFORCE_DATETIME,
        "sql_at": _SALESFORCE_DATETIME,
        "disqualified_at": _SALESFORCE_DATETIME,
    },
    # The international org is its own Salesforce instance: it has no region field.
    constants={"region": "INTL"},
    quote_all=True,
    market="international",
)

SALESFORCE_OPPORTUNITIES = Shape(
    profile="salesforce_opportunities",
    entity="opportunities",
    folder="salesforce",
    stem="Opportunity_Report",
    format="csv",
    columns={
        "opportunity_id": "Opportunity ID",
        "account_id": "Account ID",
        "created_at": "Created Date",
        "close_date": "Close Date",
        "stage": "Stage",
        "is_won": "Won",
        "is_closed": "Closed",
        "amount": "Amount",
        "currency": "Amount Currency",
        "product_line": "Product Family",
        "channel": "Sales Channel",
        "partner_id": "Partner Account ID",
        "deal_type": "Type",
        "owner_rep_id": "Opportunity Owner ID",
    },
    values={
        "stage": _SALESFORCE_STAGES,
        "product_line": _SALESFORCE_LINES,
        "channel": {"Direct": "direct", "Partner": "partner"},
        "deal_type": {
            "New Customer": "new",
            "Existing Customer - Upgrade": "expansion",
            "Existing Customer - Renewal": "renewal",
        },
    },
    date_formats={"created_at": _SALESFORCE_DATETIME, "close_date": _SALESFORCE_DATE},
    # Report exports write checkboxes as 1 and 0.
    booleans=(("1",), ("0",)),
    constants={"region": "INTL"},
    quote_all=True,
    market="international",
)


def _canonical(entity: str, folder: str, format: Format = "csv", optional: bool = False) -> Shape:
    return Shape(
        profile=f"{folder}_{entity}",
        entity=entity,
        folder=folder,
        stem=entity,
        format=format,
        optional=optional,
    )


SHAPES: tuple[Shape, ...] = (
    FXIAOKE_LEADS,
    SALESFORCE_LEADS,
    FXIAOKE_OPPORTUNITIES,
    SALESFORCE_OPPORTUNITIES,
    _canonical("opportunity_stage_history", "crm"),
    _canonical("activities", "crm"),
    _canonical("reps", "crm"),
    _canonical("partners", "crm"),
    _canonical("accounts", "crm"),
    _canonical("order_lines", "erp", "parquet"),
    _canonical("invoices", "erp", "parquet"),
    _canonical("payments", "erp", "parquet"),
    _canonical("products", "erp", "xlsx"),
    _canonical("fx_rates", "erp", "parquet"),
    # Planning inputs are filed by people when there is something to file, not monthly.
    _canonical("regions", "planning", optional=True),
    _canonical("annual_targets", "planning", optional=True),
    _canonical("adjustments", "planning", optional=True),
)
SHAPE_BY_PROFILE = {shape.profile: shape for shape in SHAPES}


def shapes_of(entity: str) -> tuple[Shape, ...]:
    """The shapes that feed ``entity`` (one, or one per market for leads and opportunities)."""
    if entity not in ENTITIES:
        raise KeyError(f"unknown entity {entity!r}")
    return tuple(shape for shape in SHAPES if shape.entity == entity)
