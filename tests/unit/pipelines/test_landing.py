import os
import shutil

import pytest

from pipelines.defs.replan.landing import (
    LandedMonth,
    extract_months,
    inspect_month,
    months_to_replan,
    run_key,
)
from salesplan.home import resolve_home


def _landed(month, fingerprint="f1", complete=True):
    return LandedMonth(month, complete, "" if complete else "missing", fingerprint)


def test_the_first_evaluation_starts_only_the_newest_complete_month():
    landed = [_landed("2026-08"), _landed("2026-09"), _landed("2026-10", complete=False)]
    to_run, seen = months_to_replan(landed, None)
    assert [m.month for m in to_run] == ["2026-09"]
    assert seen == {"2026-08": "f1", "2026-09": "f1"}


def test_a_month_starts_once_per_file_set():
    seen = {"2026-09": "f1"}
    to_run, seen = months_to_replan([_landed("2026-09"), _landed("2026-10", "f2")], seen)
    assert [m.month for m in to_run] == ["2026-10"]
    again, _ = months_to_replan([_landed("2026-09"), _landed("2026-10", "f2")], seen)
    assert again == []


def test_a_redelivered_month_starts_again():
    to_run, _ = months_to_replan([_landed("2026-10", "f3")], {"2026-10": "f2"})
    assert [m.month for m in to_run] == ["2026-10"]


def test_an_incomplete_month_never_starts():
    to_run, seen = months_to_replan([_landed("2026-10", complete=False)], {})
    assert to_run == []
    assert seen == {}


def test_the_landed_extract_feeds_the_next_as_of_month_and_keys_its_run():
    landed = _landed("2026-12", "abc")
    assert landed.as_of_month == "2027-01"
    assert run_key(landed) == "extracts-2026-12-abc"


@pytest.fixture(scope="module")
def small_home(tmp_path_factory):
    from demodata import generate

    root = tmp_path_factory.mktemp("landing")
    generate(root, size="small")
    return resolve_home(root)


def test_a_month_is_complete_only_when_every_profile_has_its_file_and_it_is_quiet(
    small_home, tmp_path
):
    home = resolve_home(tmp_path)
    shutil.copytree(small_home.landing, home.landing)
    assert extract_months(home)[-1] == "2026-10"
    now = max(p.stat().st_mtime for p in home.extract_folder("2026-10").rglob("*")) + 1000
    assert inspect_month(home, "2026-10", now=now).complete

    just_copied = inspect_month(home, "2026-10", quiet_seconds=120, now=now - 990)
    assert not just_copied.complete
    assert "still changing" in just_copied.reason

    payments = next(home.extract_folder("2026-10").rglob("payments_*.parquet"))
    payments.unlink()
    partial = inspect_month(home, "2026-10", now=now)
    assert not partial.complete
    assert "payments" in partial.reason


def test_the_fingerprint_changes_when_a_file_is_redelivered(small_home, tmp_path):
    home = resolve_home(tmp_path)
    shutil.copytree(small_home.landing, home.landing)
    before = inspect_month(home, "2026-10").fingerprint
    accounts = next(home.extract_folder("2026-10").rglob("accounts_*.csv"))
    stat = accounts.stat()
    os.utime(accounts, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert inspect_month(home, "2026-10").fingerprint != before
