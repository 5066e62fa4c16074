"""The model of ``planning.yml``: how annual targets are re-decomposed every month.

:func:`load_config` reads and validates a file; every mistake raises :class:`ConfigError` naming
the file and the dotted key (``planning.yml: streams.bookings.levels.region.method: ...``), so
a planner can fix the file without reading code. ``planning/examples/planning.yml`` is the
annotated example (the demo's configuration); scenarios are files of the same format that may
``extends:`` another file and override only some keys.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from salesplan.entities import PARTNER_TIERS, REP_TIERS, TARGET_METRICS

SEGMENT_DIMENSIONS = ("region", "product_line", "channel")
SELLER_DIMENSIONS = ("rep_id", "partner_id")
# The seller dimension each channel's branch may end at.
SELLER_OF_CHANNEL = {"direct": "rep_id", "partner": "partner_id"}

ALLOCATION_METHODS = ("history", "prior_year", "forecast", "potential", "capacity", "even")
TIME_METHODS = ("seasonal_history", "forecast", "working_days", "even")
MEASURES = ("bookings_amount", "collected_amount", "new_customers")
DEAL_TYPES = ("new", "expansion", "renewal")
ACTIVITY_TYPES = ("call", "visit", "email", "demo", "meeting")
REBATE_MODES = ("retroactive", "marginal")
# Minor units a unit of money may have: money is stored and published as DECIMAL(18, 2).
MINOR_UNITS = (1, 10, 100)

Unit = Literal["money", "count"]


class ConfigError(ValueError):
    """A ``planning.yml`` problem; the message names the file and the key."""


@dataclass(frozen=True)
class LevelMethod:
    """How one hierarchy level splits its parent's target among its children.

    Attributes:
        method: one of :data:`ALLOCATION_METHODS`.
        months: trailing window of the ``history`` method.
        fallback: method used when every child of a parent has zero weight (never recursive:
            when the fallback is all zero too, the split is even).
    """

    method: str
    months: int = 12
    fallback: str = "even"


@dataclass(frozen=True)
class TimeMethod:
    """How the company's remaining target is spread over the remaining months."""

    method: str
    years: int = 3


@dataclass(frozen=True)
class StreamConfig:
    """One target stream: a metric of ``annual_targets`` and how it is decomposed.

    Attributes:
        metric: the ``annual_targets.metric`` it plans (also the output ``metric``).
        measure: the actuals column it is measured on.
        unit: ``money`` (planned in minor units) or ``count``.
        required: a missing company target for the fiscal year is an error.
        deal_types: deal types whose actuals count (``None``: all).
        leaves: seller dimension each channel's branch ends at (``direct: rep_id``).
        time: the time method at company level.
        levels: the allocation method of every level below company.
        forecast_metric: the forecast that adjusts this stream (``None``: no forecast).
        funnel: compute the reverse funnel for this stream.
    """

    metric: str
    measure: str
    unit: Unit
    required: bool
    deal_types: tuple[str, ...] | None
    leaves: Mapping[str, str]
    time: TimeMethod
    levels: Mapping[str, LevelMethod]
    forecast_metric: str | None
    funnel: bool


@dataclass(frozen=True)
class CalendarConfig:
    """Working-day weights of the calendar (see :mod:`planning.calendar`)."""

    weekend_weight: float = 0.0
    holiday_weight: float = 0.0
    spring_festival_slowdown_weight: float = 0.5


@dataclass(frozen=True)
class CapacityConfig:
    """Weights of the ``capacity`` method."""

    tier_weights: Mapping[str, float]
    ramp: tuple[float, ...]
    partner_tier_weights: Mapping[str, float]

    def ramp_factor(self, tenure_month: int) -> float:
        """Return the productivity share in the ``tenure_month``-th month (1 = hire month)."""
        if tenure_month < 1:
            return 0.0
        if tenure_month > len(self.ramp):
            return 1.0
        return self.ramp[tenure_month - 1]


@dataclass(frozen=True)
class FunnelConfig:
    """Reverse-funnel settings."""

    prior_strength: float = 20.0
    activity_types: tuple[str, ...] = ("call", "visit", "demo")


@dataclass(frozen=True)
class NotifyConfig:
    """Where to send the alerts of a published plan (off unless configured).

    Attributes:
        command: a shell command that receives the alerts as JSON on stdin.
        webhook: a URL that receives the alerts as a JSON POST.
        severities: which severities are sent.
    """

    command: str | None = None
    webhook: str | None = None
    severities: tuple[str, ...] = ("critical",)


@dataclass(frozen=True)
class AlertConfig:
    """Attainment alert threshold and severity levels (ascending bounds)."""

    threshold: float = 0.8
    severities: tuple[tuple[str, float], ...] = (("critical", 0.6), ("warning", 0.8))
    min_share: float = 0.01
    notify: NotifyConfig | None = None

    def severity(self, ratio: float) -> str | None:
        """Return the severity of an attainment ratio, or ``None`` when it is not an alert."""
        if ratio >= self.threshold:
            return None
        for name, below in self.severities:
            if ratio < below:
                return name
        return None  # unreachable: the highest bound equals the threshold (checked at load)


@dataclass(frozen=True)
class RebateTier:
    """Rate paid from an attainment (sales / target) of ``start`` upwards."""

    start: float
    rate: float


@dataclass(frozen=True)
class RebateConfig:
    """Partner rebate tiers."""

    metric: str
    mode: str
    tiers: tuple[RebateTier, ...]
    by_partner_tier: Mapping[str, tuple[RebateTier, ...]] = field(default_factory=dict)

    def tiers_for(self, partner_tier: str | None) -> tuple[RebateTier, ...]:
        """Return the tiers that apply to a partner of ``partner_tier``."""
        return self.by_partner_tier.get(partner_tier or "", self.tiers)


@dataclass(frozen=True)
class PlanningConfig:
    """A validated ``planning.yml``. Build it with :func:`load_config` or :func:`parse_config`."""

    source: str
    currency: str
    minor_units: int
    fiscal_start_month: int
    calendar: CalendarConfig
    hierarchy: tuple[str, ...]
    floor_pct: float
    stretch_pct: float
    streams: Mapping[str, StreamConfig]
    capacity: CapacityConfig
    funnel: FunnelConfig
    alerts: AlertConfig
    rebates: RebateConfig | None

    def stream(self, metric: str) -> StreamConfig:
        """Return the stream planning ``metric``.

        Raises:
            KeyError: naming the configured streams when ``metric`` has none.
        """
        try:
            return self.streams[metric]
        except KeyError:
            known = ", ".join(self.streams)
            raise KeyError(
                f"{self.source}: no stream for metric {metric!r}; known: {known}"
            ) from None


# --------------------------------------------------------------------------- loading


def load_config(path: str | os.PathLike[str]) -> PlanningConfig:
    """Read and validate a planning configuration file.

    A file may start with ``extends: <path>`` (relative to the file): the base file is read first
    and this file's keys are merged over it (mappings key by key, lists replaced).

    Raises:
        ConfigError: naming the file and the key of the first problem found.
    """
    path = Path(path)
    raw = _read_with_extends(path, seen=())
    return parse_config(raw, source=path.name)


def parse_config(raw: Mapping[str, Any], source: str = "planning.yml") -> PlanningConfig:
    """Validate an already parsed configuration mapping (see :func:`load_config`).

    Raises:
        ConfigError: naming ``source`` and the key of the first problem found.
    """
    root = _Node(raw, source, "")
    root.allow_keys(
        "version",
        "money",
        "fiscal_year",
        "calendar",
        "hierarchy",
        "targets",
        "streams",
        "capacity",
        "funnel",
        "alerts",
        "rebates",
    )
    version = root.integer("version", default=1)
    if version != 1:
        root.fail("version", f"unsupported version {version}; this release reads version 1")

    money = root.child("money", required=False)
    money.allow_keys("currency", "minor_units")
    currency = money.string("currency", default="CNY")
    minor_units = money.integer("minor_units", default=100)
    if minor_units not in MINOR_UNITS:
        money.fail(
            "minor_units",
            f"must be 1, 10 or 100, not {minor_units}: the warehouse and the published tables "
            "keep money with two decimals (DECIMAL(18, 2)), so a plan split into thousandths "
            "would no longer add up once published",
        )

    fiscal = root.child("fiscal_year", required=False)
    fiscal.allow_keys("start_month")
    start_month = fiscal.integer("start_month", default=1)
    if not 1 <= start_month <= 12:
        fiscal.fail("start_month", f"must be a month number 1-12, not {start_month}")

    calendar_node = root.child("calendar", required=False)
    calendar_node.allow_keys("weekend_weight", "holiday_weight", "spring_festival_slowdown_weight")
    calendar = CalendarConfig(
        weekend_weight=calendar_node.fraction("weekend_weight", default=0.0),
        holiday_weight=calendar_node.fraction("holiday_weight", default=0.0),
        spring_festival_slowdown_weight=calendar_node.fraction(
            "spring_festival_slowdown_weight", default=0.5
        ),
    )

    hierarchy = tuple(root.string_list("hierarchy", default=list(SEGMENT_DIMENSIONS)))
    if sorted(hierarchy) != sorted(SEGMENT_DIMENSIONS):
        root.fail(
            "hierarchy",
            f"must list each of {', '.join(SEGMENT_DIMENSIONS)} exactly once, "
            f"not {list(hierarchy)}",
        )

    targets = root.child("targets", required=False)
    targets.allow_keys("floor_pct", "stretch_pct")
    floor_pct = targets.number("floor_pct", default=0.9, minimum=0.0)
    stretch_pct = targets.number("stretch_pct", default=1.15, minimum=0.0)
    if floor_pct > 1.0:
        targets.fail("floor_pct", f"a floor above the target makes no sense: {floor_pct}")
    if stretch_pct < 1.0:
        targets.fail("stretch_pct", f"a stretch below the target makes no sense: {stretch_pct}")

    capacity = _parse_capacity(root.child("capacity", required=False))
    funnel = _parse_funnel(root.child("funnel", required=False))
    alerts = _parse_alerts(root.child("alerts", required=False))

    streams_node = root.child("streams")
    streams = {
        metric: _parse_stream(streams_node.child(metric), metric, hierarchy)
        for metric in streams_node.names()
    }
    if not streams:
        root.fail("streams", "configure at least one stream")

    rebates_node = root.child("rebates", required=False)
    rebates = _parse_rebates(rebates_node, streams) if rebates_node.present else None

    return PlanningConfig(
        source=source,
        currency=currency,
        minor_units=minor_units,
        fiscal_start_month=start_month,
        calendar=calendar,
        hierarchy=hierarchy,
        floor_pct=floor_pct,
        stretch_pct=stretch_pct,
        streams=streams,
        capacity=capacity,
        funnel=funnel,
        alerts=alerts,
        rebates=rebates,
    )


def _read_with_extends(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in seen:
        chain = " -> ".join(p.name for p in (*seen, resolved))
        raise ConfigError(f"{path.name}: extends: circular chain {chain}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: planning configuration file not found") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path.name}: not valid YAML: {error}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: the top level must be a mapping of keys")
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw
    if not isinstance(base_name, str):
        raise ConfigError(f"{path.name}: extends: must be a file path, not {base_name!r}")
    base = _read_with_extends(path.parent / base_name, (*seen, resolved))
    return _merge(base, raw)


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _parse_stream(node: _Node, metric: str, hierarchy: tuple[str, ...]) -> StreamConfig:
    node.allow_keys(
        "measure",
        "unit",
        "required",
        "deal_types",
        "leaves",
        "time",
        "levels",
        "forecast_metric",
        "funnel",
    )
    if metric not in TARGET_METRICS:
        node.fail("", f"unknown target metric {metric!r}; known: {', '.join(TARGET_METRICS)}")
    measure = node.choice("measure", MEASURES)
    unit = node.choice("unit", ("money", "count"), default="money")
    if (measure == "new_customers") != (unit == "count"):
        node.fail("unit", f"measure {measure} is a {'count' if unit == 'money' else 'money'}")
    deal_types: tuple[str, ...] | None = None
    if node.has("deal_types"):
        deal_types = tuple(node.string_list("deal_types"))
        unknown = sorted(set(deal_types) - set(DEAL_TYPES))
        if unknown or not deal_types:
            node.fail("deal_types", f"must be a non-empty list of {', '.join(DEAL_TYPES)}")

    leaves_node = node.child("leaves", required=False)
    leaves_node.allow_keys(*SELLER_OF_CHANNEL)
    leaves: dict[str, str] = {}
    for channel in leaves_node.names():
        dimension = leaves_node.string(channel)
        if dimension != SELLER_OF_CHANNEL[channel]:
            leaves_node.fail(
                channel, f"the {channel} branch can only end at {SELLER_OF_CHANNEL[channel]}"
            )
        leaves[channel] = dimension

    time_node = node.child("time", required=False)
    time_node.allow_keys("method", "years")
    time = TimeMethod(
        method=time_node.choice("method", TIME_METHODS, default="seasonal_history"),
        years=time_node.integer("years", default=3, minimum=1),
    )
    forecast_metric = node.optional_string("forecast_metric")
    if time.method == "forecast" and forecast_metric is None:
        time_node.fail("method", "the forecast method needs the stream's forecast_metric")

    levels_node = node.child("levels")
    expected_levels = (*hierarchy, *leaves.values())
    levels_node.allow_keys(*expected_levels)
    levels: dict[str, LevelMethod] = {}
    for level in expected_levels:
        if not levels_node.has(level):
            levels_node.fail(level, f"no allocation method for level {level}")
        levels[level] = _parse_level(levels_node.child(level), level, forecast_metric)

    return StreamConfig(
        metric=metric,
        measure=measure,
        unit=unit,  # type: ignore[arg-type]
        required=node.boolean("required", default=False),
        deal_types=deal_types,
        leaves=leaves,
        time=time,
        levels=levels,
        forecast_metric=forecast_metric,
        funnel=node.boolean("funnel", default=False),
    )


def _parse_level(node: _Node, level: str, forecast_metric: str | None) -> LevelMethod:
    node.allow_keys("method", "months", "fallback")
    method = node.choice("method", ALLOCATION_METHODS)
    fallback = node.choice("fallback", ALLOCATION_METHODS, default="even")
    for key, name in (("method", method), ("fallback", fallback)):
        if name == "forecast" and level in SELLER_DIMENSIONS:
            node.fail(
                key, f"forecasts stop at region x product_line x channel; {level} cannot use it"
            )
        if name == "forecast" and forecast_metric is None:
            node.fail(key, "the forecast method needs the stream's forecast_metric")
        if name == "capacity" and level == "channel":
            node.fail(
                key,
                "capacity weighs reps and partners in different units; not for the channel level",
            )
    return LevelMethod(
        method=method, months=node.integer("months", default=12, minimum=1), fallback=fallback
    )


def _parse_capacity(node: _Node) -> CapacityConfig:
    node.allow_keys("tier_weights", "ramp", "partner_tier_weights")
    tier_weights = node.weights(
        "tier_weights", REP_TIERS, default={"A": 1.3, "B": 1.0, "C": 0.8, "D": 0.6}
    )
    partner_weights = node.weights(
        "partner_tier_weights", PARTNER_TIERS, default={"gold": 1.5, "silver": 1.0, "bronze": 0.6}
    )
    ramp = tuple(node.number_list("ramp", default=[0.25, 0.5, 0.75]))
    if any(not 0.0 <= value <= 1.0 for value in ramp):
        node.fail(
            "ramp", f"ramp factors are shares of full productivity in [0, 1], not {list(ramp)}"
        )
    return CapacityConfig(
        tier_weights=tier_weights, ramp=ramp, partner_tier_weights=partner_weights
    )


def _parse_funnel(node: _Node) -> FunnelConfig:
    node.allow_keys("prior_strength", "activity_types")
    activity_types = tuple(node.string_list("activity_types", default=["call", "visit", "demo"]))
    unknown = sorted(set(activity_types) - set(ACTIVITY_TYPES))
    if unknown:
        node.fail("activity_types", f"unknown {unknown}; known: {', '.join(ACTIVITY_TYPES)}")
    return FunnelConfig(
        prior_strength=node.number("prior_strength", default=20.0, minimum=0.0),
        activity_types=activity_types,
    )


def _parse_alerts(node: _Node) -> AlertConfig:
    node.allow_keys("threshold", "severities", "min_share", "notify")
    threshold = node.number("threshold", default=0.8, minimum=0.0)
    min_share = node.number("min_share", default=0.01, minimum=0.0)
    severities_node = node.child("severities", required=False)
    if severities_node.present:
        bounds = {
            name: severities_node.number(name, minimum=0.0) for name in severities_node.names()
        }
    else:
        bounds = {"warning": threshold, "critical": 0.6 * threshold / 0.8}
    if not bounds or max(bounds.values()) != threshold:
        node.fail(
            "severities",
            f"the highest severity bound must equal the threshold {threshold}, got {bounds}",
        )
    if len(set(bounds.values())) != len(bounds):
        node.fail("severities", f"two severities share a bound: {bounds}")
    ordered = tuple(sorted(bounds.items(), key=lambda item: item[1]))
    return AlertConfig(
        threshold=threshold,
        severities=ordered,
        min_share=min_share,
        notify=_parse_notify(node.child("notify", required=False), bounds),
    )


def _parse_notify(node: _Node, bounds: Mapping[str, float]) -> NotifyConfig | None:
    if not node.present:
        return None
    node.allow_keys("command", "webhook", "severities")
    command = node.optional_string("command")
    webhook = node.optional_string("webhook")
    if command is None and webhook is None:
        node.fail("command", "give a command, a webhook or both (or remove `notify`)")
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        node.fail("webhook", f"{webhook!r} is not an http(s) URL")
    severities = tuple(node.string_list("severities", default=["critical"]))
    unknown = sorted(set(severities) - set(bounds))
    if unknown:
        node.fail("severities", f"unknown {unknown}; configured: {', '.join(bounds)}")
    return NotifyConfig(command=command, webhook=webhook, severities=severities)


def _parse_rebates(node: _Node, streams: Mapping[str, StreamConfig]) -> RebateConfig:
    node.allow_keys("metric", "mode", "tiers", "by_partner_tier")
    metric = node.string("metric", default="bookings")
    if metric not in streams:
        node.fail("metric", f"no stream plans {metric!r}; streams: {', '.join(streams)}")
    if "partner" not in streams[metric].leaves:
        node.fail("metric", f"stream {metric} does not plan partners (leaves.partner)")
    mode = node.choice("mode", REBATE_MODES, default="retroactive")
    tiers = _parse_tiers(node, "tiers")
    by_tier_node = node.child("by_partner_tier", required=False)
    by_tier_node.allow_keys(*PARTNER_TIERS)
    by_tier = {tier: _parse_tiers(by_tier_node, tier) for tier in by_tier_node.names()}
    return RebateConfig(metric=metric, mode=mode, tiers=tiers, by_partner_tier=by_tier)


def _parse_tiers(node: _Node, key: str) -> tuple[RebateTier, ...]:
    items = node.sequence(key)
    tiers = []
    for index, item in enumerate(items):
        tier_node = _Node(item, node.source, node.path(f"{key}[{index}]"))
        tier_node.allow_keys("from", "rate")
        tiers.append(
            RebateTier(
                start=tier_node.number("from", minimum=0.0),
                rate=tier_node.fraction("rate"),
            )
        )
    starts = [tier.start for tier in tiers]
    if not tiers or starts != sorted(set(starts)):
        node.fail(key, f"tiers must be a non-empty list with strictly increasing `from`: {starts}")
    return tuple(tiers)


# --------------------------------------------------------------------------- reader


_MISSING = object()


class _Node:
    """A mapping inside the file with typed getters that raise :class:`ConfigError`."""

    def __init__(self, value: Any, source: str, prefix: str) -> None:
        self.source = source
        self.prefix = prefix
        self.present = value is not None
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise ConfigError(f"{source}: {prefix or '(top level)'}: must be a mapping of keys")
        self.value: Mapping[str, Any] = value

    def path(self, key: str) -> str:
        if not key:
            return self.prefix or "(top level)"
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, message: str) -> None:
        raise ConfigError(f"{self.source}: {self.path(key)}: {message}")

    def names(self) -> list[str]:
        return [str(key) for key in self.value]

    def has(self, key: str) -> bool:
        return key in self.value

    def allow_keys(self, *allowed: str) -> None:
        unknown = [str(key) for key in self.value if key not in allowed]
        if unknown:
            self.fail(unknown[0], f"unknown key; allowed here: {', '.join(allowed)}")

    def _get(self, key: str, default: Any) -> Any:
        value = self.value.get(key, _MISSING)
        if value is _MISSING or value is None:
            if default is _MISSING:
                self.fail(key, "required key is missing")
            return default
        return value

    def child(self, key: str, required: bool = True) -> _Node:
        if key not in self.value and required:
            self.fail(key, "required key is missing")
        return _Node(self.value.get(key), self.source, self.path(key))

    def string(self, key: str, default: Any = _MISSING) -> str:
        value = self._get(key, default)
        if not isinstance(value, str) or not value:
            self.fail(key, f"must be a non-empty string, not {value!r}")
        return value

    def optional_string(self, key: str) -> str | None:
        return None if self.value.get(key) is None else self.string(key)

    def choice(self, key: str, allowed: tuple[str, ...], default: Any = _MISSING) -> str:
        value = self.string(key, default)
        if value not in allowed:
            self.fail(key, f"unknown value {value!r}; allowed: {', '.join(allowed)}")
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, not {value!r}")
        return value

    def integer(self, key: str, default: Any = _MISSING, minimum: int | None = None) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"must be a whole number, not {value!r}")
        if minimum is not None and value < minimum:
            self.fail(key, f"must be at least {minimum}, not {value}")
        return value

    def number(self, key: str, default: Any = _MISSING, minimum: float | None = None) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"must be a number, not {value!r}")
        if minimum is not None and value < minimum:
            self.fail(key, f"must be at least {minimum}, not {value}")
        return float(value)

    def fraction(self, key: str, default: Any = _MISSING) -> float:
        value = self.number(key, default, minimum=0.0)
        if value > 1.0:
            self.fail(key, f"must be a share between 0 and 1, not {value}")
        return value

    def sequence(self, key: str, default: Any = _MISSING) -> list[Any]:
        value = self._get(key, default)
        if not isinstance(value, list):
            self.fail(key, f"must be a list, not {value!r}")
        return value

    def string_list(self, key: str, default: Any = _MISSING) -> list[str]:
        values = self.sequence(key, default)
        if not all(isinstance(value, str) and value for value in values):
            self.fail(key, f"must be a list of names, not {values!r}")
        if len(set(values)) != len(values):
            self.fail(key, f"lists a name twice: {values!r}")
        return values

    def number_list(self, key: str, default: Any = _MISSING) -> list[float]:
        values = self.sequence(key, default)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            self.fail(key, f"must be a list of numbers, not {values!r}")
        return [float(value) for value in values]

    def weights(
        self, key: str, names: tuple[str, ...], default: Mapping[str, float]
    ) -> dict[str, float]:
        node = self.child(key, required=False)
        if not node.present:
            return dict(default)
        node.allow_keys(*names)
        missing = [name for name in names if not node.has(name)]
        if missing:
            node.fail(missing[0], "required key is missing (give a weight for every tier)")
        return {name: node.number(name, minimum=0.0) for name in names}
