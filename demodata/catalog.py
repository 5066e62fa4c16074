"""The static facts of the demo business: regions, products, segments, funnel and deal economics.

A Chinese B2B software vendor that sells six product lines through direct reps and partners in
seven China regions (CNY) and one international region (USD, some HKD). Every number here is a
parameter of the simulation in :mod:`demodata.business`; keeping them in one module makes the
business easy to read and to retune.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """A sales region.

    Attributes:
        code: region code (``salesplan`` vocabulary).
        name_en: English display name.
        name_zh: Chinese display name (also the label in the Chinese CRM export).
        weight: share of the company's sales headcount at the end of the history.
        growth: yearly growth of the region's new business (headcount and productivity);
            bookings grow faster everywhere as the renewal book and the product mix build up.
        market_potential: addressable yearly software spend in CNY at the start of 2021.
        international: sells in USD/HKD, exports through Salesforce, Western calendar.
    """

    code: str
    name_en: str
    name_zh: str
    weight: float
    growth: float
    market_potential: float
    international: bool = False


REGIONS: tuple[Region, ...] = (
    Region("EAST", "East China", "华东", 0.25, 0.18, 9.0e9),
    Region("SOUTH", "South China", "华南", 0.18, 0.14, 6.5e9),
    Region("NORTH", "North China", "华北", 0.20, 0.05, 7.5e9),
    Region("CENTRAL", "Central China", "华中", 0.10, 0.22, 3.2e9),
    Region("SOUTHWEST", "Southwest China", "西南", 0.08, 0.30, 2.6e9),
    Region("NORTHWEST", "Northwest China", "西北", 0.04, 0.02, 1.2e9),
    Region("NORTHEAST", "Northeast China", "东北", 0.05, -0.06, 1.5e9),
    Region("INTL", "International", "国际", 0.10, 0.32, 4.0e9, international=True),
)
REGION_BY_CODE = {region.code: region for region in REGIONS}

PRODUCT_LINES = ("CLOUD", "ANALYTICS", "AI", "SECURITY", "ERP", "LEGACY")
PRODUCT_LINE_ZH = {
    "CLOUD": "云平台",
    "ANALYTICS": "数据分析",
    "AI": "人工智能",
    "SECURITY": "信息安全",
    "ERP": "ERP",
    "LEGACY": "传统产品",
}
PRODUCT_LINE_SALESFORCE = {
    "CLOUD": "Cloud Platform",
    "ANALYTICS": "Analytics",
    "AI": "AI",
    "SECURITY": "Security",
    "ERP": "ERP",
    "LEGACY": "Legacy",
}
# Annual subscriptions renew; ERP and LEGACY are perpetual licences sold once.
SUBSCRIPTION_LINES = frozenset({"CLOUD", "ANALYTICS", "AI", "SECURITY"})
# Deal size multiplier per product line on top of the segment's median.
PRODUCT_LINE_DEAL_SIZE = {
    "CLOUD": 1.0,
    "ANALYTICS": 0.9,
    "AI": 1.3,
    "SECURITY": 0.7,
    "ERP": 1.8,
    "LEGACY": 0.8,
}
# Share of new opportunities per product line in 2021 before lifecycle trends apply.
PRODUCT_LINE_MIX = {
    "CLOUD": 0.30,
    "ANALYTICS": 0.18,
    "AI": 0.10,
    "SECURITY": 0.14,
    "ERP": 0.18,
    "LEGACY": 0.10,
}
AI_LAUNCH = dt.date(2024, 3, 1)


@dataclass(frozen=True)
class Product:
    """A sellable SKU with its lifecycle: ``stages`` are ``(first month, stage)`` in order.

    The first entry is the launch month; the SKU does not exist before it.
    """

    sku: str
    product_line: str
    list_price: float
    stages: tuple[tuple[str, str], ...]

    @property
    def launch(self) -> str:
        """The month the SKU enters the product master."""
        return self.stages[0][0]


# Lifecycles are dated so that some changes fall in every demo's delta year (2025-11..2026-10
# for the default end month): the product master then re-extracts those SKUs.
PRODUCTS: tuple[Product, ...] = (
    Product("CLD-BASIC", "CLOUD", 12_000, (("2019-01", "growth"), ("2026-01", "mature"))),
    Product("CLD-PRO", "CLOUD", 48_000, (("2019-01", "growth"),)),
    Product("CLD-ENT", "CLOUD", 180_000, (("2022-04", "intro"), ("2023-01", "growth"))),
    Product("ANL-BI", "ANALYTICS", 30_000, (("2019-01", "growth"), ("2023-07", "mature"))),
    Product("ANL-DW", "ANALYTICS", 120_000, (("2019-01", "growth"), ("2024-01", "mature"))),
    Product("ANL-RT", "ANALYTICS", 80_000, (("2021-03", "intro"), ("2022-07", "growth"))),
    Product("AI-ASSIST", "AI", 60_000, (("2024-03", "intro"), ("2025-01", "growth"))),
    Product("AI-VISION", "AI", 150_000, (("2024-09", "intro"), ("2025-07", "growth"))),
    Product("AI-AGENT", "AI", 200_000, (("2026-04", "intro"),)),
    Product("SEC-FW", "SECURITY", 25_000, (("2019-01", "mature"),)),
    Product("SEC-EDR", "SECURITY", 40_000, (("2019-01", "mature"),)),
    Product("SEC-SOC", "SECURITY", 160_000, (("2019-01", "growth"), ("2025-04", "mature"))),
    Product("ERP-FIN", "ERP", 220_000, (("2019-01", "mature"),)),
    Product("ERP-SCM", "ERP", 260_000, (("2019-01", "mature"),)),
    Product("ERP-HR", "ERP", 90_000, (("2019-01", "mature"), ("2026-07", "decline"))),
    Product("LEG-ONPREM", "LEGACY", 150_000, (("2019-01", "mature"), ("2022-07", "decline"))),
    Product("LEG-SUPPORT", "LEGACY", 30_000, (("2019-01", "mature"), ("2023-01", "decline"))),
)

SEGMENTS = ("enterprise", "mid_market", "smb")
SEGMENT_MIX = (0.15, 0.40, 0.45)


@dataclass(frozen=True)
class SegmentEconomics:
    """How deals of one account segment behave.

    Attributes:
        deal_size: median new-deal amount in CNY.
        cycle_days: median days from creation to close of a new deal.
        win_rate: share of new deals won (direct channel, tier C rep).
        renewal_win_rate: share of renewals won.
        expansion_probability: chance that a won new deal is followed by an expansion.
        payment_terms_days: days from invoice to due date.
        payment_delay_mean: mean days paid after the due date (negative: early).
        payment_delay_sd: spread of that delay.
        activities_per_month: activities logged per open opportunity and month.
    """

    deal_size: float
    cycle_days: float
    win_rate: float
    renewal_win_rate: float
    expansion_probability: float
    payment_terms_days: int
    payment_delay_mean: float
    payment_delay_sd: float
    activities_per_month: float


SEGMENT_ECONOMICS = {
    "enterprise": SegmentEconomics(600_000, 140, 0.22, 0.93, 0.45, 90, 24.0, 30.0, 9.0),
    "mid_market": SegmentEconomics(160_000, 75, 0.30, 0.88, 0.30, 60, 8.0, 18.0, 6.0),
    "smb": SegmentEconomics(40_000, 35, 0.36, 0.80, 0.15, 30, -6.0, 8.0, 3.5),
}
DEAL_SIZE_SIGMA = 0.7
CYCLE_SIGMA = 0.45
# Partner deals are smaller, a little faster and won more often (the partner qualified them).
PARTNER_DEAL_SIZE = 0.8
PARTNER_CYCLE = 0.85
PARTNER_WIN_BONUS = 0.05
PARTNER_SHARE = {"china": 0.30, "international": 0.45}
PARTNER_TIERS = ("gold", "silver", "bronze")
PARTNER_TIER_MIX = (0.2, 0.35, 0.45)
PARTNER_TIER_WEIGHT = {"gold": 3.0, "silver": 2.0, "bronze": 1.0}
EXPANSION_DEAL_SIZE = 0.45
EXPANSION_CYCLE = 0.6
EXPANSION_WIN_RATE = 0.55
INTERNATIONAL_DEAL_SIZE = 1.2
# Hong Kong customers of the international region pay in HKD.
HKD_SHARE = 0.15
LIFECYCLE_WIN_FACTOR = {"intro": 0.8, "growth": 1.05, "mature": 1.0, "decline": 0.8}

REP_TIERS = ("A", "B", "C", "D")
REP_TIER_MIX_INITIAL = (0.20, 0.35, 0.30, 0.15)
REP_TIER_MIX_HIRES = (0.05, 0.25, 0.45, 0.25)
REP_TIER_PRODUCTIVITY = {"A": 1.5, "B": 1.15, "C": 0.9, "D": 0.6}
REP_TIER_WIN_FACTOR = {"A": 1.2, "B": 1.08, "C": 1.0, "D": 0.85}
RAMP_MONTHS = 6
# Monthly chance that a rep leaves: ~12% a year, twice that for tier D.
REP_MONTHLY_ATTRITION = {"A": 0.007, "B": 0.009, "C": 0.011, "D": 0.022}
TEAM_SIZE = 8
# New (non-renewal, non-expansion) opportunities a fully ramped tier-C-equivalent rep opens in
# an average month of 2021, before region productivity growth and seasonality.
NEW_OPPORTUNITIES_PER_REP_MONTH = 3.4

# Month-of-year multipliers (January first). Opportunities close at quarter ends and above all
# in December (budgets are spent before the year closes); creation is flatter.
CLOSE_SEASON = (0.8, 0.85, 1.3, 0.9, 0.95, 1.3, 0.85, 0.9, 1.35, 0.95, 1.15, 2.0)
CREATE_SEASON = (0.95, 1.0, 1.1, 1.05, 1.0, 1.0, 0.9, 0.9, 1.05, 0.95, 1.1, 0.9)

LEAD_SOURCES = ("web", "event", "referral", "partner", "outbound", "ads")
LEAD_SOURCE_MIX = {
    "china": (0.28, 0.17, 0.10, 0.10, 0.20, 0.15),
    "international": (0.38, 0.12, 0.08, 0.10, 0.10, 0.22),
}
# Relative chance of a lead of each source to convert into an opportunity.
LEAD_SOURCE_CONVERSION = (1.0, 1.1, 2.5, 1.8, 0.6, 0.5)
# Share of new deals that started as a marketing or SDR lead; the rest are rep-sourced.
LEAD_SOURCED_SHARE = 0.85
# Overall lead -> opportunity conversion (the rest are nurtured or disqualified).
LEAD_CONVERSION = 0.09
# Non-converting leads: chance to reach MQL, and SQL once MQL.
NONCONVERTING_MQL = 0.34
NONCONVERTING_SQL = 0.23

ACTIVITY_TYPES = ("call", "visit", "email", "demo", "meeting")
ACTIVITY_MIX_OPPORTUNITY = {
    "enterprise": (0.22, 0.22, 0.22, 0.14, 0.20),
    "mid_market": (0.32, 0.14, 0.28, 0.14, 0.12),
    "smb": (0.42, 0.05, 0.35, 0.12, 0.06),
}
ACTIVITY_MIX_LEAD = (0.55, 0.03, 0.37, 0.03, 0.02)
ACTIVITIES_PER_LEAD_MONTH = 0.7
ACTIVITIES_PER_RENEWAL_MONTH = 2.0

INDUSTRIES = (
    "manufacturing",
    "financial_services",
    "retail",
    "healthcare",
    "education",
    "public_sector",
    "energy",
    "logistics",
    "internet",
)
INDUSTRY_MIX = (0.22, 0.13, 0.12, 0.09, 0.07, 0.10, 0.07, 0.08, 0.12)

# Lifecycle of each product line as a whole (drives win rates and demand; SKUs have their own).
LINE_LIFECYCLE = {
    "CLOUD": (("2019-01", "growth"),),
    "ANALYTICS": (("2019-01", "growth"), ("2023-07", "mature")),
    "AI": (("2024-03", "intro"), ("2025-01", "growth")),
    "SECURITY": (("2019-01", "mature"),),
    "ERP": (("2019-01", "mature"),),
    "LEGACY": (("2019-01", "mature"), ("2022-07", "decline")),
}
