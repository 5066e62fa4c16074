"""A tiny, consistent landing folder for ingestion tests: every entity, two extract months.

Extract month 2026-02 holds the history (a few records of every entity); 2026-03 is a delta
with new records that reference the history (a payment for an invoice of February, ...).
Most files are canonical; opportunities also arrive as a Salesforce-shaped CSV (INTL) and a
Chinese CRM export in GBK (EAST), products as XLSX and the ERP entities as Parquet, so every
reader and the mapping path are exercised. Tests break one file at a time.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from salesplan.home import SalesplanHome

FIRST_MONTH = "2026-02"
DELTA_MONTH = "2026-03"

CANONICAL_CSV = ("reps", "partners", "accounts", "leads", "activities", "fx_rates")
CANONICAL_PARQUET = ("order_lines", "invoices", "payments")
PLANNING_CSV = ("regions", "annual_targets")

SALESFORCE_PROFILE = """\
profile: salesforce_opportunities
entity: opportunities
pattern: "salesforce/Opportunity_Report_*.csv"
format: csv
encoding: utf-8
columns:
  opportunity_id: Opportunity ID
  account_id: Account ID
  created_at: Created Date
  close_date: Close Date
  stage: Stage
  is_won: Won
  is_closed: Closed
  amount: Amount
  currency: Amount Currency
  product_line: Product Family
  channel: Sales Channel
  partner_id: Partner Account ID
  deal_type: Type
  owner_rep_id: Opportunity Owner ID
values:
  stage: {Prospecting: prospecting, Needs Analysis: solution, Closed Won: closed_won,
          Closed Lost: closed_lost}
  channel: {Direct: direct, Partner: partner}
  deal_type: {New Customer: new, "Existing Customer - Renewal": renewal}
date_formats:
  created_at: "%m/%d/%Y %I:%M %p"
  close_date: "%m/%d/%Y"
booleans:
  true: ["1"]
  false: ["0"]
constants:
  region: INTL
"""

FXIAOKE_PROFILE = """\
profile: fxiaoke_opportunities
entity: opportunities
pattern: "fxiaoke/商机导出_*.csv"
format: csv
encoding: gbk
columns:
  opportunity_id: 商机编号
  account_id: 客户编号
  created_at: 创建时间
  close_date: 预计成交日期
  stage: 商机阶段
  is_won: 是否赢单
  is_closed: 是否关闭
  amount: 商机金额(元)
  product_line: 产品线
  region: 所属区域
  channel: 销售渠道
  partner_id: 合作伙伴编号
  deal_type: 商机类型
  owner_rep_id: 负责人ID
values:
  stage: {初步接洽: prospecting, 方案报价: proposal, 赢单: closed_won, 输单: closed_lost}
  region: {华东: EAST}
  channel: {直销: direct, 渠道: partner}
  deal_type: {新购: new, 增购: expansion, 续费: renewal}
date_formats:
  created_at: "%Y/%m/%d %H:%M"
  close_date: "%Y/%m/%d"
booleans:
  true: [是]
  false: [否]
constants:
  currency: CNY
"""


def canonical_profile(entity: str, folder: str, fmt: str, optional: bool = False) -> str:
    """The YAML of a profile for a file in canonical shape."""
    extension = {"csv": "csv", "parquet": "parquet", "xlsx": "xlsx"}[fmt]
    return (
        f"profile: {folder}_{entity}\nentity: {entity}\n"
        f'pattern: "{folder}/{entity}_*.{extension}"\nformat: {fmt}\n'
        f"optional: {'true' if optional else 'false'}\n"
    )


def tiny_tables() -> dict[str, dict[str, pd.DataFrame]]:
    """Canonical rows per extract month and entity (before shaping into export files)."""
    history = {
        "regions": pd.DataFrame(
            {
                "region": ["EAST", "INTL"],
                "name_en": ["East", "International"],
                "name_zh": ["华东", "国际"],
                "market_potential": [1_000_000, 400_000],
            }
        ),
        "annual_targets": pd.DataFrame(
            {
                "fiscal_year": [2026, 2026],
                "metric": ["bookings", "bookings"],
                "scope": ["company", "region=EAST"],
                "amount": [900_000, 600_000],
                "floor_pct": [0.9, 0.9],
                "stretch_pct": [1.15, 1.2],
            }
        ),
        "reps": pd.DataFrame(
            {
                "rep_id": ["R1", "R2", "R3"],
                "name": ["Ann Li", "Bo Wang", "Cy Ng"],
                "region": ["EAST", "EAST", "INTL"],
                "team": ["East-1", "East-1", "Intl-1"],
                "manager_id": ["", "R1", "R1"],
                "hire_date": ["2019-03-01", "2025-06-01", "2022-01-10"],
                "end_date": ["", "", ""],
                "tier": ["A", "C", "B"],
                "role": ["manager", "rep", "rep"],
            }
        ),
        "partners": pd.DataFrame(
            {
                "partner_id": ["P1"],
                "name": ["Huadong Systems"],
                "region": ["EAST"],
                "tier": ["gold"],
            }
        ),
        "accounts": pd.DataFrame(
            {
                "account_id": ["A1", "A2", "A3"],
                "name": ["Acme", "Binhai Steel", "Globex"],
                "industry": ["manufacturing", "steel", "retail"],
                "segment": ["enterprise", "mid_market", "smb"],
                "region": ["EAST", "EAST", "INTL"],
            }
        ),
        "products": pd.DataFrame(
            {
                "product_sku": ["CLOUD-1", "AI-1"],
                "product_line": ["CLOUD", "AI"],
                "lifecycle_stage": ["growth", "intro"],
                "list_price": [1200.0, 5000.0],
            }
        ),
        "fx_rates": pd.DataFrame(
            {"currency": ["USD"], "month": ["2026-02-01"], "rate_to_reporting_currency": [7.2]}
        ),
        # EAST opportunities come from the Chinese CRM, INTL ones from Salesforce.
        "opportunities": pd.DataFrame(
            {
                "opportunity_id": ["O1", "O2", "O3"],
                "account_id": ["A1", "A2", "A3"],
                "created_at": ["2026-01-05 10:30:00", "2026-02-03 09:00:00", "2026-01-20 14:30:00"],
                "close_date": ["2026-02-20", "2026-04-30", "2026-02-25"],
                "stage": ["closed_won", "proposal", "closed_won"],
                "is_won": [True, False, True],
                "is_closed": [True, False, True],
                "amount": [5000.0, 12000.0, 8000.0],
                "currency": ["CNY", "CNY", "USD"],
                "product_line": ["CLOUD", "AI", "CLOUD"],
                "region": ["EAST", "EAST", "INTL"],
                "channel": ["direct", "partner", "direct"],
                "partner_id": ["", "P1", ""],
                "deal_type": ["new", "new", "new"],
                "owner_rep_id": ["R2", "R2", "R3"],
            }
        ),
        "leads": pd.DataFrame(
            {
                "lead_id": ["L1", "L2"],
                "created_at": ["2026-01-02 09:00:00", "2026-02-01 11:00:00"],
                "source_channel": ["web", "event"],
                "region": ["EAST", "EAST"],
                "product_line": ["CLOUD", "AI"],
                "owner_rep_id": ["R2", "R2"],
                "mql_at": ["2026-01-03 10:00:00", ""],
                "sql_at": ["2026-01-04 10:00:00", ""],
                "disqualified_at": ["", ""],
                "converted_opportunity_id": ["O1", ""],
            }
        ),
        "activities": pd.DataFrame(
            {
                "activity_id": ["AC1", "AC2"],
                "rep_id": ["R2", "R2"],
                "activity_type": ["call", "demo"],
                "occurred_at": ["2026-01-04 10:00:00", "2026-02-05 15:00:00"],
                "lead_id": ["L1", ""],
                "opportunity_id": ["", "O2"],
            }
        ),
        "order_lines": pd.DataFrame(
            {
                "order_id": ["SO1", "SO1", "SO2"],
                "line_no": [1, 2, 1],
                "order_date": pd.to_datetime(["2026-02-21", "2026-02-21", "2026-02-26"]),
                "account_id": ["A1", "A1", "A3"],
                "opportunity_id": ["O1", "O1", "O3"],
                "product_sku": ["CLOUD-1", "AI-1", "CLOUD-1"],
                "quantity": [2, 1, 4],
                "net_amount": [2400.0, 2600.0, 8000.0],
                "currency": ["CNY", "CNY", "USD"],
                "region": ["EAST", "EAST", "INTL"],
                "channel": ["direct", "direct", "direct"],
                "partner_id": [None, None, None],
            }
        ),
        "invoices": pd.DataFrame(
            {
                "invoice_id": ["INV1", "INV2"],
                "order_id": ["SO1", "SO2"],
                "invoice_date": pd.to_datetime(["2026-02-22", "2026-02-27"]),
                "due_date": pd.to_datetime(["2026-03-24", "2026-03-29"]),
                "amount": [5000.0, 8000.0],
                "currency": ["CNY", "USD"],
            }
        ),
        "payments": pd.DataFrame(
            {
                "payment_id": ["PAY1"],
                "invoice_id": ["INV1"],
                "paid_at": pd.to_datetime(["2026-02-28"]),
                "amount": [2000.0],
                "currency": ["CNY"],
            }
        ),
    }
    delta = {
        "reps": history["reps"].iloc[0:0],
        "partners": history["partners"].iloc[0:0],
        "accounts": history["accounts"].iloc[0:0],
        "products": history["products"].iloc[0:0],
        "fx_rates": pd.DataFrame(
            {"currency": ["USD"], "month": ["2026-03-01"], "rate_to_reporting_currency": [7.1]}
        ),
        # O2 was won in March: a new version of a record extracted in February.
        "opportunities": pd.DataFrame(
            {
                "opportunity_id": ["O2", "O4"],
                "account_id": ["A2", "A3"],
                "created_at": ["2026-02-03 09:00:00", "2026-03-02 16:45:00"],
                "close_date": ["2026-03-18", "2026-06-30"],
                "stage": ["closed_won", "prospecting"],
                "is_won": [True, False],
                "is_closed": [True, False],
                "amount": [12000.0, 3000.0],
                "currency": ["CNY", "USD"],
                "product_line": ["AI", "CLOUD"],
                "region": ["EAST", "INTL"],
                "channel": ["partner", "direct"],
                "partner_id": ["P1", ""],
                "deal_type": ["new", "renewal"],
                "owner_rep_id": ["R2", "R3"],
            }
        ),
        "leads": pd.DataFrame(
            {
                "lead_id": ["L3"],
                "created_at": ["2026-03-01 08:00:00"],
                "source_channel": ["referral"],
                "region": ["INTL"],
                "product_line": ["CLOUD"],
                "owner_rep_id": ["R3"],
                "mql_at": ["2026-03-02 08:00:00"],
                "sql_at": [""],
                "disqualified_at": [""],
                "converted_opportunity_id": ["O4"],
            }
        ),
        "activities": pd.DataFrame(
            {
                "activity_id": ["AC3"],
                "rep_id": ["R3"],
                "activity_type": ["visit"],
                "occurred_at": ["2026-03-03 10:00:00"],
                "lead_id": ["L3"],
                "opportunity_id": ["O4"],
            }
        ),
        "order_lines": pd.DataFrame(
            {
                "order_id": ["SO3"],
                "line_no": [1],
                "order_date": pd.to_datetime(["2026-03-19"]),
                "account_id": ["A2"],
                "opportunity_id": ["O2"],
                "product_sku": ["AI-1"],
                "quantity": [2],
                "net_amount": [12000.0],
                "currency": ["CNY"],
                "region": ["EAST"],
                "channel": ["partner"],
                "partner_id": ["P1"],
            }
        ),
        "invoices": pd.DataFrame(
            {
                "invoice_id": ["INV3"],
                "order_id": ["SO3"],
                "invoice_date": pd.to_datetime(["2026-03-20"]),
                "due_date": pd.to_datetime(["2026-04-19"]),
                "amount": [12000.0],
                "currency": ["CNY"],
            }
        ),
        # PAY2 pays the rest of INV1, an invoice extracted in February.
        "payments": pd.DataFrame(
            {
                "payment_id": ["PAY2", "PAY3"],
                "invoice_id": ["INV1", "INV3"],
                "paid_at": pd.to_datetime(["2026-03-10", "2026-03-31"]),
                "amount": [3000.0, 12000.0],
                "currency": ["CNY", "CNY"],
            }
        ),
    }
    return {FIRST_MONTH: history, DELTA_MONTH: delta}


def write_salesforce(frame: pd.DataFrame, path: Path) -> None:
    """Write INTL opportunities as a Salesforce report export."""
    stages = {"prospecting": "Prospecting", "solution": "Needs Analysis"}
    stages |= {"closed_won": "Closed Won", "closed_lost": "Closed Lost"}
    created = pd.to_datetime(frame["created_at"])
    export = pd.DataFrame(
        {
            "Opportunity ID": frame["opportunity_id"],
            "Account ID": frame["account_id"],
            "Created Date": created.dt.strftime("%m/%d/%Y %I:%M %p").str.replace(
                r" 0(\d):", r" \1:", regex=True
            ),
            "Close Date": pd.to_datetime(frame["close_date"]).dt.strftime("%m/%d/%Y"),
            "Stage": frame["stage"].map(stages),
            "Won": frame["is_won"].map({True: "1", False: "0"}),
            "Closed": frame["is_closed"].map({True: "1", False: "0"}),
            "Amount": frame["amount"],
            "Amount Currency": frame["currency"],
            "Product Family": frame["product_line"],
            "Sales Channel": frame["channel"].map({"direct": "Direct", "partner": "Partner"}),
            "Partner Account ID": frame["partner_id"],
            "Type": frame["deal_type"].map(
                {"new": "New Customer", "renewal": "Existing Customer - Renewal"}
            ),
            "Opportunity Owner ID": frame["owner_rep_id"],
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    export.to_csv(path, index=False, quoting=1)


def write_fxiaoke(frame: pd.DataFrame, path: Path) -> None:
    """Write EAST opportunities as a Chinese CRM export in GBK."""
    stages = {"prospecting": "初步接洽", "proposal": "方案报价"}
    stages |= {"closed_won": "赢单", "closed_lost": "输单"}
    export = pd.DataFrame(
        {
            "商机编号": frame["opportunity_id"],
            "客户编号": frame["account_id"],
            "创建时间": pd.to_datetime(frame["created_at"]).dt.strftime("%Y/%m/%d %H:%M"),
            "预计成交日期": pd.to_datetime(frame["close_date"]).dt.strftime("%Y/%m/%d"),
            "商机阶段": frame["stage"].map(stages),
            "是否赢单": frame["is_won"].map({True: "是", False: "否"}),
            "是否关闭": frame["is_closed"].map({True: "是", False: "否"}),
            "商机金额(元)": frame["amount"],
            "产品线": frame["product_line"],
            "所属区域": frame["region"].map({"EAST": "华东"}),
            "销售渠道": frame["channel"].map({"direct": "直销", "partner": "渠道"}),
            "合作伙伴编号": frame["partner_id"],
            "商机类型": frame["deal_type"].map({"new": "新购", "renewal": "续费"}),
            "负责人ID": frame["owner_rep_id"],
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    export.to_csv(path, index=False, encoding="gbk")


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """Write a canonical table as the first sheet of a workbook."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    workbook.save(path)


def write_tiny_landing(home: SalesplanHome) -> None:
    """Write profiles and both extract months of the tiny business into ``home``."""
    home.ensure()
    profiles = {
        "salesforce_opportunities": SALESFORCE_PROFILE,
        "fxiaoke_opportunities": FXIAOKE_PROFILE,
        "erp_products": canonical_profile("products", "erp", "xlsx"),
        "crm_opportunity_stage_history": canonical_profile(
            "opportunity_stage_history", "crm", "csv", optional=True
        ),
    }
    for entity in CANONICAL_CSV:
        profiles[f"crm_{entity}"] = canonical_profile(entity, "crm", "csv")
    for entity in CANONICAL_PARQUET:
        profiles[f"erp_{entity}"] = canonical_profile(entity, "erp", "parquet")
    for entity in PLANNING_CSV:
        profiles[f"planning_{entity}"] = canonical_profile(entity, "planning", "csv", True)
    for name, text in profiles.items():
        (home.profiles / f"{name}.yml").write_text(text, encoding="utf-8")
    for month, tables in tiny_tables().items():
        folder = home.extract_folder(month)
        for entity, frame in tables.items():
            if entity == "opportunities":
                international = frame["region"] == "INTL"
                write_salesforce(
                    frame[international], folder / f"salesforce/Opportunity_Report_{month}.csv"
                )
                write_fxiaoke(frame[~international], folder / f"fxiaoke/商机导出_{month}.csv")
            elif entity in CANONICAL_PARQUET:
                path = folder / f"erp/{entity}_{month}.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                frame.to_parquet(path, index=False)
            elif entity == "products":
                write_xlsx(frame, folder / f"erp/products_{month}.xlsx")
            else:
                system = "planning" if entity in PLANNING_CSV else "crm"
                path = folder / f"{system}/{entity}_{month}.csv"
                path.parent.mkdir(parents=True, exist_ok=True)
                frame.to_csv(path, index=False)
