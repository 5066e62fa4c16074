import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd
import pytest

from planning.config import NotifyConfig
from publishing.notify import NotificationError, alert_payload, send_alerts

ALERTS = pd.DataFrame(
    {
        "scenario": ["official", "official", "aggressive"],
        "severity": ["critical", "warning", "critical"],
        "metric": ["bookings"] * 3,
        "node": ["region=EAST", "region=SOUTH", "region=EAST"],
        "grain": ["year"] * 3,
        "period": ["2026"] * 3,
        "attainment": [0.5512345678, 0.75, 0.4],
        "message": ["east is behind", "south is a little behind", "what-if"],
    }
)


def test_the_payload_holds_the_official_alerts_of_the_chosen_severities():
    payload = alert_payload(ALERTS, "2026-11", ["critical"])
    assert payload["count"] == 1
    assert payload["alerts"][0]["node"] == "region=EAST"
    assert payload["alerts"][0]["attainment"] == 0.551235
    assert json.dumps(payload)  # plain JSON types only


def test_a_command_receives_the_alerts_on_stdin(tmp_path):
    received = tmp_path / "alerts.json"
    delivery = send_alerts(
        ALERTS, "2026-11", NotifyConfig(command=f"cat > {received}", severities=("warning",))
    )
    assert delivery.channels == ("command",)
    assert json.loads(received.read_text())["alerts"][0]["node"] == "region=SOUTH"


def test_a_failing_command_is_an_error_that_names_it():
    with pytest.raises(NotificationError, match="exited 3"):
        send_alerts(ALERTS, "2026-11", NotifyConfig(command="echo no >&2; exit 3"))


def test_a_webhook_receives_the_alerts_as_a_json_post():
    bodies = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            bodies.append((self.headers["Content-Type"], self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        delivery = send_alerts(ALERTS, "2026-11", NotifyConfig(webhook=url))
    finally:
        thread.join(10)
        server.server_close()
    assert delivery.channels == ("webhook",)
    content_type, body = bodies[0]
    assert content_type.startswith("application/json")
    assert json.loads(body)["as_of_month"] == "2026-11"


def test_an_unreachable_webhook_is_an_error_that_names_it():
    with pytest.raises(NotificationError, match=r"127\.0\.0\.1:9"):
        send_alerts(ALERTS, "2026-11", NotifyConfig(webhook="http://127.0.0.1:9/hook"))
