"""dbt's artifacts of a re-plan land in the home folder, not in the code checkout."""

from __future__ import annotations

import json
from pathlib import Path

from replan_processes import FIRST_MONTH

from salesplan.home import resolve_home


def test_the_latest_build_s_artifacts_and_log_are_in_the_home(published_small_home: Path) -> None:
    target = resolve_home(published_small_home).dbt_target
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))

    compiled = next(target.glob("compiled/salesplan/models/**/fct_bookings_monthly.sql"))
    assert f"date '{FIRST_MONTH}-01' as as_of_month" in compiled.read_text(encoding="utf-8")
    assert {result["status"] for result in results["results"]} <= {"success", "pass"}


def test_the_dbt_log_holds_every_node_s_result_but_not_its_sql(published_small_home: Path) -> None:
    # At dbt's default file level, debug, every statement of the build is a JSON event.
    log = (resolve_home(published_small_home).dbt_target / "dbt.log").read_text(encoding="utf-8")
    events = [json.loads(line) for line in log.splitlines()]

    assert {event["info"]["level"] for event in events} <= {"info", "warn", "error"}
    assert any(event["info"]["name"] == "LogModelResult" for event in events)
    assert not any(event["info"]["name"] == "SQLQuery" for event in events)
