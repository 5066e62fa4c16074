from pathlib import Path

import pytest
import yaml

from planning.config import ConfigError, load_config, parse_config

EXAMPLE = Path(__file__).resolve().parents[3] / "planning" / "examples" / "planning.yml"


def example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def test_the_example_config_loads_with_every_stream():
    config = load_config(EXAMPLE)
    assert config.fiscal_start_month == 1
    assert config.hierarchy == ("region", "product_line", "channel")
    assert set(config.streams) == {
        "bookings",
        "new_bookings",
        "expansion_bookings",
        "renewal_bookings",
        "collections",
        "new_customers",
    }
    assert config.streams["collections"].leaves == {"partner": "partner_id"}
    assert config.streams["bookings"].levels["rep_id"].method == "capacity"
    assert config.alerts.severity(0.7) == "warning"
    assert config.alerts.severity(0.5) == "critical"
    assert config.alerts.severity(0.8) is None
    assert config.capacity.ramp_factor(1) == 0.2
    assert config.capacity.ramp_factor(6) == 1.0
    assert config.rebates is not None
    assert config.rebates.tiers_for("gold")[0].rate == 0.02
    assert config.rebates.tiers_for("bronze")[0].rate == 0.01


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["fiscal_year"].update(start_month=13), "fiscal_year.start_month: must be"),
        (lambda c: c.update(hierarchy=["region", "channel"]), "hierarchy: must list each"),
        (lambda c: c["money"].update(cents=2), "money.cents: unknown key"),
        (
            lambda c: c["streams"]["bookings"]["levels"]["region"].update(method="forcast"),
            "streams.bookings.levels.region.method: unknown value 'forcast'",
        ),
        (
            lambda c: c["streams"]["bookings"]["levels"]["rep_id"].update(method="forecast"),
            "streams.bookings.levels.rep_id.method: forecasts stop at",
        ),
        (
            lambda c: c["streams"]["bookings"]["levels"]["channel"].update(method="capacity"),
            "streams.bookings.levels.channel.method: capacity weighs",
        ),
        (
            lambda c: c["streams"]["bookings"]["levels"].pop("product_line"),
            "streams.bookings.levels.product_line: no allocation method",
        ),
        (
            lambda c: c["streams"]["new_bookings"]["levels"]["region"].update(method="forecast"),
            "the forecast method needs the stream's forecast_metric",
        ),
        (lambda c: c["streams"].update(profit=c["streams"]["bookings"]), "unknown target metric"),
        (
            lambda c: c["streams"]["bookings"]["leaves"].update(direct="partner_id"),
            "streams.bookings.leaves.direct: the direct branch can only end at rep_id",
        ),
        (lambda c: c["alerts"]["severities"].update(warning=0.7), "highest severity bound"),
        (
            lambda c: c["rebates"].update(
                tiers=[{"from": 1.0, "rate": 0.03}, {"from": 0.8, "rate": 0.01}]
            ),
            "rebates.tiers: tiers must be a non-empty list with strictly increasing",
        ),
        (
            lambda c: c["rebates"]["tiers"][0].update(rate=3),
            "rebates.tiers[0].rate: must be a share",
        ),
        (lambda c: c["capacity"].update(ramp=[0.5, 1.5]), "capacity.ramp: ramp factors"),
        (lambda c: c["targets"].update(floor_pct=1.2), "targets.floor_pct"),
        (lambda c: c["streams"]["bookings"].update(required="yes"), "must be true or false"),
        (
            lambda c: c["money"].update(minor_units=1000),
            "money.minor_units: must be 1, 10 or 100, not 1000: the warehouse",
        ),
    ],
)
def test_config_mistakes_name_the_file_and_the_key(change, message):
    raw = example()
    change(raw)
    with pytest.raises(ConfigError, match=r"^planning\.yml: ") as error:
        parse_config(raw, source="planning.yml")
    assert message in str(error.value)


def test_a_scenario_extends_the_official_config_and_overrides_some_keys(tmp_path):
    official = tmp_path / "planning.yml"
    official.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    scenario = scenarios / "even_regions.yml"
    scenario.write_text(
        "extends: ../planning.yml\n"
        "streams:\n  bookings:\n    levels:\n      region: {method: even}\n",
        encoding="utf-8",
    )
    config = load_config(scenario)
    assert config.source == "even_regions.yml"
    assert config.streams["bookings"].levels["region"].method == "even"
    # everything else comes from the official file
    assert config.streams["bookings"].levels["rep_id"].method == "capacity"
    assert config.streams["collections"].measure == "collected_amount"


def test_circular_extends_and_missing_files_are_reported(tmp_path):
    (tmp_path / "a.yml").write_text("extends: b.yml\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text("extends: a.yml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="circular"):
        load_config(tmp_path / "a.yml")
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yml")
    (tmp_path / "bad.yml").write_text("streams: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yml: not valid YAML"):
        load_config(tmp_path / "bad.yml")


def test_alert_notifications_are_off_unless_configured_and_checked_when_they_are(tmp_path):
    default = load_config(EXAMPLE)
    assert default.alerts.notify is None
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "  min_share: 0.01\n",
        "  min_share: 0.01\n  notify:\n    webhook: ftp://example.com/hook\n",
    )
    broken = tmp_path / "planning.yml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"alerts\.notify\.webhook: .*not an http"):
        load_config(broken)
    broken.write_text(
        text.replace(
            "ftp://example.com/hook",
            "https://example.com/hook\n    severities: [warning, critical]",
        ),
        encoding="utf-8",
    )
    notify = load_config(broken).alerts.notify
    assert notify.webhook == "https://example.com/hook"
    assert notify.severities == ("warning", "critical")
