"""Send a published plan's attainment alerts to a command or a webhook (off by default).

Configured in planning.yml under ``alerts.notify`` (see planning/examples/planning.yml). The
payload is the same for both channels::

    {"as_of_month": "2026-11", "scenario": "official", "count": 2,
     "alerts": [{"severity": "critical", "metric": "bookings", "node": "region=EAST",
                 "period": "2026", "attainment": 0.55, "message": "..."}, ...]}

The command receives it on stdin (``sh -c``) and must exit 0; the webhook receives it as an
HTTP POST with ``Content-Type: application/json`` and must answer 2xx. A failure raises
:class:`NotificationError`; the plan is already published by then and stays published.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from planning.config import NotifyConfig
from salesplan.errors import SalesplanError

PAYLOAD_COLUMNS = ("severity", "metric", "node", "grain", "period", "attainment", "message")
TIMEOUT_S = 30


class NotificationError(SalesplanError):
    """A configured notification could not be delivered."""


@dataclass(frozen=True)
class Delivery:
    """What was sent where."""

    alerts: int
    channels: tuple[str, ...]


def alert_payload(alerts: pd.DataFrame, as_of_month: str, severities: Sequence[str]) -> dict:
    """Return the JSON payload of the alerts of the given severities (official scenario)."""
    chosen = alerts[alerts["severity"].isin(severities)]
    if "scenario" in chosen:
        chosen = chosen[chosen["scenario"] == "official"]
    records = [
        {column: _plain(row[column]) for column in PAYLOAD_COLUMNS if column in chosen}
        for _, row in chosen.iterrows()
    ]
    return {
        "as_of_month": as_of_month,
        "scenario": "official",
        "count": len(records),
        "alerts": records,
    }


def send_alerts(alerts: pd.DataFrame, as_of_month: str, notify: NotifyConfig) -> Delivery:
    """Deliver the alerts to the configured command and/or webhook.

    Raises:
        NotificationError: naming the channel and what went wrong.
    """
    payload = alert_payload(alerts, as_of_month, notify.severities)
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    channels = []
    if notify.command:
        completed = subprocess.run(
            ["sh", "-c", notify.command],
            input=body,
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        if completed.returncode != 0:
            raise NotificationError(
                f"alerts.notify.command {notify.command!r} exited {completed.returncode}: "
                f"{completed.stderr.decode(errors='replace').strip()[:500]}"
            )
        channels.append("command")
    if notify.webhook:
        request = urllib.request.Request(
            notify.webhook,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                status = response.status
        except OSError as error:
            raise NotificationError(f"alerts.notify.webhook {notify.webhook}: {error}") from None
        if not 200 <= status < 300:
            raise NotificationError(f"alerts.notify.webhook {notify.webhook}: HTTP {status}")
        channels.append("webhook")
    return Delivery(alerts=payload["count"], channels=tuple(channels))


def _plain(value: object) -> object:
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "item"):
        return value.item()  # numpy scalars
    return value
