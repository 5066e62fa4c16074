import datetime as dt

import pyarrow as pa
import pytest

from demodata.shapes import FXIAOKE_OPPORTUNITIES, SALESFORCE_LEADS, SHAPES, shapes_of
from salesplan.entities import ENTITIES


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.profile)
def test_every_profile_provides_every_canonical_column(shape):
    entity = ENTITIES[shape.entity]
    provided = set(shape.columns or entity.column_names) | set(shape.constants)
    assert provided == set(entity.column_names)
    assert not set(shape.columns) & set(shape.constants)
    for column, mapping in shape.values.items():
        allowed = entity.column(column).allowed
        assert allowed is None or set(mapping.values()) <= set(allowed)


def test_every_entity_has_a_shape_and_leads_and_opportunities_have_two():
    for entity in ENTITIES:
        assert shapes_of(entity)
    assert [s.market for s in shapes_of("leads")] == ["china", "international"]
    assert [s.market for s in shapes_of("opportunities")] == ["china", "international"]


def test_the_chinese_export_writes_labels_dates_and_booleans_its_profile_reads_back():
    table = pa.table(
        {
            "opportunity_id": ["SJ00000001"],
            "account_id": ["KH00000001"],
            "created_at": pa.array([dt.datetime(2024, 3, 5, 14, 30)], pa.timestamp("s")),
            "close_date": pa.array([dt.date(2024, 6, 28)], pa.date32()),
            "stage": ["closed_won"],
            "is_won": [True],
            "is_closed": [True],
            "amount": pa.array([128500.0]).cast(pa.decimal128(18, 2)),
            "currency": ["CNY"],
            "product_line": ["CLOUD"],
            "region": ["EAST"],
            "channel": ["direct"],
            "partner_id": pa.array([None], pa.string()),
            "deal_type": ["renewal"],
            "owner_rep_id": ["R0042"],
        }
    )
    row = FXIAOKE_OPPORTUNITIES.to_source(table).to_pylist()[0]
    assert row["创建时间"] == "2024/03/05 14:30"
    assert row["预计成交日期"] == "2024/06/28"
    assert (row["商机阶段"], row["是否赢单"], row["所属区域"]) == ("赢单", "是", "华东")
    assert (row["产品线"], row["商机类型"], row["销售渠道"]) == ("云平台", "续费", "直销")
    assert "currency" not in row
    assert "币种" not in row


def _lead(source: str) -> pa.Table:
    return pa.table(
        {
            "lead_id": ["00Q"],
            "created_at": pa.array([dt.datetime(2024, 3, 5, 14, 30)], pa.timestamp("s")),
            "source_channel": [source],
            "region": ["INTL"],
            "product_line": ["AI"],
            "owner_rep_id": ["R0001"],
            "mql_at": pa.array([dt.datetime(2024, 3, 6, 9, 5)], pa.timestamp("s")),
            "sql_at": pa.array([None], pa.timestamp("s")),
            "disqualified_at": pa.array([None], pa.timestamp("s")),
            "converted_opportunity_id": pa.array([None], pa.string()),
        }
    )


def test_salesforce_times_use_the_twelve_hour_clock_without_a_leading_zero():
    row = SALESFORCE_LEADS.to_source(_lead("ads")).to_pylist()[0]
    assert row["Created Date"] == "03/05/2024 2:30 PM"
    assert row["MQL Date"] == "03/06/2024 9:05 AM"
    assert row["SQL Date"] is None
    assert row["Lead Source"] == "Advertisement"


def test_a_value_without_a_source_label_is_an_error():
    with pytest.raises(ValueError, match="no source label for canonical value 'unknown'"):
        SALESFORCE_LEADS.to_source(_lead("unknown"))
