"""The canonical input entities: the contract of the raw layer (PRODUCT.md).

Source profiles map any export onto these entities; the demo generator writes them; the
ingestion loader types and checks rows against them; the Great Expectations suites and the dbt
sources are derived from them. This module is the one place where an entity's columns, key,
types, allowed values and references are written down.

Extract semantics: the extract of data month ``X`` holds every record *created or changed*
during ``X`` (the first extract a source delivers may hold its whole history up to ``X``). A
record can therefore appear in several extract months; the raw table keeps every version with
its ``_extract_month`` and the staging models keep, per key, the latest version extracted
before the as-of month. This makes loads idempotent and lets any past as-of month be replayed
exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["string", "date", "timestamp", "decimal", "integer", "boolean"]
System = Literal["crm", "erp", "planning"]

REPORTING_CURRENCY = "CNY"

DUCKDB_TYPES: dict[ColumnType, str] = {
    "string": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "decimal": "DECIMAL(18, 2)",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
}

OPPORTUNITY_STAGES = (
    "prospecting",
    "qualification",
    "solution",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
)
CHANNELS = ("direct", "partner")
DEAL_TYPES = ("new", "expansion", "renewal")
ACTIVITY_TYPES = ("call", "visit", "email", "demo", "meeting")
REP_TIERS = ("A", "B", "C", "D")
REP_ROLES = ("rep", "manager")
PARTNER_TIERS = ("gold", "silver", "bronze")
ACCOUNT_SEGMENTS = ("enterprise", "mid_market", "smb")
LIFECYCLE_STAGES = ("intro", "growth", "mature", "decline")
LEAD_SOURCES = ("web", "event", "referral", "partner", "outbound", "ads", "unknown")
TARGET_METRICS = (
    "bookings",
    "new_bookings",
    "expansion_bookings",
    "renewal_bookings",
    "collections",
    "new_customers",
)


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Attributes:
        name: canonical column name.
        dtype: logical type; see ``DUCKDB_TYPES`` for the warehouse type.
        required: a source profile must provide it (by rename or constant).
        nullable: empty values are allowed after mapping.
        default: value used when an optional column is not provided by the source.
        allowed: the closed set of values a categorical column may take.
        non_negative: numeric values must be >= 0.
        not_after_extract: dates must not fall after the end of the extract month.
        references: ``"entity.column"`` that every non-null value must exist in.
        scale: digits after the decimal point of a ``decimal`` column (money: 2).
        description: one sentence for docs and the dbt sources.
    """

    name: str
    dtype: ColumnType
    required: bool = True
    nullable: bool = False
    default: str | int | float | bool | None = None
    allowed: tuple[str, ...] | None = None
    non_negative: bool = False
    not_after_extract: bool = False
    references: str | None = None
    scale: int = 2
    description: str = ""

    @property
    def warehouse_type(self) -> str:
        """The DuckDB type of the column in the raw layer."""
        if self.dtype == "decimal":
            return f"DECIMAL(18, {self.scale})"
        return DUCKDB_TYPES[self.dtype]


@dataclass(frozen=True)
class Entity:
    """One canonical entity: a raw table ``raw.<name>``."""

    name: str
    system: System
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str
    event_column: str | None = None
    optional: bool = False
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {column.name: column for column in self.columns}
        if len(by_name) != len(self.columns):
            raise ValueError(f"entity {self.name}: duplicate column names")
        missing = [name for name in self.key if name not in by_name]
        if missing:
            raise ValueError(f"entity {self.name}: key columns {missing} are not columns")
        object.__setattr__(self, "_by_name", by_name)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Canonical column names in contract order."""
        return tuple(column.name for column in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns every source profile must provide."""
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        """Return the column called ``name``.

        Raises:
            KeyError: with the list of known columns when ``name`` is unknown.
        """
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self.column_names)
            raise KeyError(f"{self.name} has no column {name!r}; known: {known}") from None

    @property
    def table(self) -> str:
        """Qualified raw table name in the warehouse."""
        return f"raw.{self.name}"


def _c(name: str, dtype: ColumnType, **kwargs: object) -> Column:
    return Column(name, dtype, **kwargs)  # type: ignore[arg-type]


def _optional(name: str, dtype: ColumnType, default: object = None, **kwargs: object) -> Column:
    return Column(name, dtype, required=False, nullable=True, default=default, **kwargs)  # type: ignore[arg-type]


ENTITIES: dict[str, Entity] = {
    entity.name: entity
    for entity in (
        # ---------------------------------------------------------------- CRM
        Entity(
            name="leads",
            system="crm",
            key=("lead_id",),
            event_column="created_at",
            description="One row per lead; funnel timestamps are filled as the lead progresses.",
            columns=(
                _c("lead_id", "string"),
                _c("created_at", "timestamp", not_after_extract=True),
                _optional("source_channel", "string", "unknown", allowed=LEAD_SOURCES),
                _c("region", "string", references="regions.region"),
                _c("product_line", "string"),
                _c("owner_rep_id", "string", references="reps.rep_id"),
                _optional("mql_at", "timestamp", not_after_extract=True),
                _optional("sql_at", "timestamp", not_after_extract=True),
                _optional("disqualified_at", "timestamp", not_after_extract=True),
                _optional(
                    "converted_opportunity_id", "string", references="opportunities.opportunity_id"
                ),
            ),
        ),
        Entity(
            name="opportunities",
            system="crm",
            key=("opportunity_id",),
            event_column="created_at",
            description=(
                "One row per opportunity in its latest extracted state; close_date is the "
                "expected close date while the opportunity is open."
            ),
            columns=(
                _c("opportunity_id", "string"),
                _c("account_id", "string", references="accounts.account_id"),
                _c("created_at", "timestamp", not_after_extract=True),
                _c("close_date", "date"),
                _c("stage", "string", allowed=OPPORTUNITY_STAGES),
                _c("is_won", "boolean"),
                _c("is_closed", "boolean"),
                _c("amount", "decimal", non_negative=True),
                _optional("currency", "string", REPORTING_CURRENCY),
                _c("product_line", "string"),
                _c("region", "string", references="regions.region"),
                _optional("channel", "string", "direct", allowed=CHANNELS),
                _optional("partner_id", "string", references="partners.partner_id"),
                _optional("deal_type", "string", "new", allowed=DEAL_TYPES),
                _c("owner_rep_id", "string", references="reps.rep_id"),
            ),
        ),
        Entity(
            name="opportunity_stage_history",
            system="crm",
            key=("opportunity_id", "stage"),
            event_column="entered_at",
            optional=True,
            description="One row per opportunity and stage it entered.",
            columns=(
                _c("opportunity_id", "string", references="opportunities.opportunity_id"),
                _c("stage", "string", allowed=OPPORTUNITY_STAGES),
                _c("entered_at", "timestamp", not_after_extract=True),
            ),
        ),
        Entity(
            name="activities",
            system="crm",
            key=("activity_id",),
            event_column="occurred_at",
            description="One row per sales activity logged by a rep.",
            columns=(
                _c("activity_id", "string"),
                _c("rep_id", "string", references="reps.rep_id"),
                _c("activity_type", "string", allowed=ACTIVITY_TYPES),
                _c("occurred_at", "timestamp", not_after_extract=True),
                _optional("lead_id", "string", references="leads.lead_id"),
                _optional("opportunity_id", "string", references="opportunities.opportunity_id"),
            ),
        ),
        Entity(
            name="reps",
            system="crm",
            key=("rep_id",),
            event_column=None,
            description="One row per sales rep or manager; end_date is set when they leave.",
            columns=(
                _c("rep_id", "string"),
                _c("name", "string"),
                _c("region", "string", references="regions.region"),
                _optional("team", "string"),
                _optional("manager_id", "string", references="reps.rep_id"),
                _c("hire_date", "date"),
                _optional("end_date", "date"),
                _optional("tier", "string", "C", allowed=REP_TIERS),
                _optional("role", "string", "rep", allowed=REP_ROLES),
            ),
        ),
        Entity(
            name="partners",
            system="crm",
            key=("partner_id",),
            description="One row per channel partner (reseller, distributor).",
            columns=(
                _c("partner_id", "string"),
                _c("name", "string"),
                _c("region", "string", references="regions.region"),
                _optional("tier", "string", "bronze", allowed=PARTNER_TIERS),
            ),
        ),
        Entity(
            name="accounts",
            system="crm",
            key=("account_id",),
            description="One row per customer account.",
            columns=(
                _c("account_id", "string"),
                _c("name", "string"),
                _optional("industry", "string", "unknown"),
                _optional("segment", "string", "mid_market", allowed=ACCOUNT_SEGMENTS),
                _c("region", "string", references="regions.region"),
            ),
        ),
        # ---------------------------------------------------------------- ERP
        Entity(
            name="order_lines",
            system="erp",
            key=("order_id", "line_no"),
            event_column="order_date",
            description="One row per order line booked in the ERP.",
            columns=(
                _c("order_id", "string"),
                _c("line_no", "integer", non_negative=True),
                _c("order_date", "date", not_after_extract=True),
                _c("account_id", "string", references="accounts.account_id"),
                _optional("opportunity_id", "string", references="opportunities.opportunity_id"),
                _c("product_sku", "string", references="products.product_sku"),
                _c("quantity", "integer", non_negative=True),
                _c("net_amount", "decimal", non_negative=True),
                _optional("currency", "string", REPORTING_CURRENCY),
                _c("region", "string", references="regions.region"),
                _optional("channel", "string", "direct", allowed=CHANNELS),
                _optional("partner_id", "string", references="partners.partner_id"),
            ),
        ),
        Entity(
            name="invoices",
            system="erp",
            key=("invoice_id",),
            event_column="invoice_date",
            description="One row per invoice raised against an order.",
            columns=(
                _c("invoice_id", "string"),
                _c("order_id", "string", references="order_lines.order_id"),
                _c("invoice_date", "date", not_after_extract=True),
                _c("due_date", "date"),
                _c("amount", "decimal", non_negative=True),
                _optional("currency", "string", REPORTING_CURRENCY),
            ),
        ),
        Entity(
            name="payments",
            system="erp",
            key=("payment_id",),
            event_column="paid_at",
            description="One row per customer payment (回款) against an invoice.",
            columns=(
                _c("payment_id", "string"),
                _c("invoice_id", "string", references="invoices.invoice_id"),
                _c("paid_at", "date", not_after_extract=True),
                _c("amount", "decimal", non_negative=True),
                _optional("currency", "string", REPORTING_CURRENCY),
            ),
        ),
        Entity(
            name="products",
            system="erp",
            key=("product_sku",),
            description="One row per sellable SKU with its product line and lifecycle stage.",
            columns=(
                _c("product_sku", "string"),
                _c("product_line", "string"),
                _optional("lifecycle_stage", "string", "mature", allowed=LIFECYCLE_STAGES),
                _c("list_price", "decimal", non_negative=True),
            ),
        ),
        Entity(
            name="fx_rates",
            system="erp",
            key=("currency", "month"),
            event_column="month",
            description="One row per currency and month: the rate into the reporting currency.",
            columns=(
                _c("currency", "string"),
                _c("month", "date", not_after_extract=True),
                # Six decimals: rounding USD 7.0976 to 7.10 would misstate converted amounts.
                _c("rate_to_reporting_currency", "decimal", non_negative=True, scale=6),
            ),
        ),
        # ----------------------------------------------------------- planning
        Entity(
            name="regions",
            system="planning",
            key=("region",),
            description="One row per sales region code with its display names.",
            columns=(
                _c("region", "string"),
                _c("name_en", "string"),
                _optional("name_zh", "string"),
                _optional("market_potential", "decimal", non_negative=True),
            ),
        ),
        Entity(
            name="annual_targets",
            system="planning",
            key=("fiscal_year", "metric", "scope"),
            description=(
                "One row per fiscal year, metric and scope (``company`` or a node path such as "
                "``region=EAST`` or ``region=EAST/product_line=CLOUD``)."
            ),
            columns=(
                _c("fiscal_year", "integer"),
                _c("metric", "string", allowed=TARGET_METRICS),
                _c("scope", "string"),
                _c("amount", "decimal", non_negative=True),
                _optional("floor_pct", "decimal", 0.9, non_negative=True),
                _optional("stretch_pct", "decimal", 1.15, non_negative=True),
            ),
        ),
        Entity(
            name="adjustments",
            system="planning",
            key=("metric", "node", "period"),
            optional=True,
            description=(
                "One row per manager override of a target cell (node path, period YYYY-MM "
                "or fiscal year YYYY); locked cells keep their value when siblings re-spread."
            ),
            columns=(
                _optional("metric", "string", "bookings", allowed=TARGET_METRICS),
                _c("node", "string"),
                _c("period", "string"),
                _c("value", "decimal", non_negative=True),
                _optional("locked", "boolean", True),
                _c("reason", "string"),
                _c("author", "string"),
            ),
        ),
    )
}


def entity(name: str) -> Entity:
    """Return the canonical entity called ``name``.

    Raises:
        KeyError: naming the known entities when ``name`` is unknown.
    """
    try:
        return ENTITIES[name]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}; known: {', '.join(ENTITIES)}") from None
