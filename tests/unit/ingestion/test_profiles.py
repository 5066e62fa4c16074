from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestion.errors import ProfileError
from ingestion.profiles import discover_profiles, load_profile, strptime_format_problem

CANONICAL = """\
profile: crm_reps
entity: reps
pattern: "crm/reps_*.csv"
format: csv
"""

RENAMING = """\
profile: sf_opportunities
entity: opportunities
pattern: "sf/*.csv"
format: csv
columns:
  opportunity_id: Opportunity ID
  account_id: Account ID
  created_at: Created Date
  close_date: Close Date
  stage: Stage
  is_won: Won
  is_closed: Closed
  amount: Amount
  product_line: Product Family
  owner_rep_id: Owner ID
values:
  stage: {Closed Won: closed_won, Prospecting: prospecting}
date_formats:
  created_at: "%m/%d/%Y %I:%M %p"
booleans:
  true: ["1", 是]
  false: ["0", 否]
constants:
  region: INTL
"""


def write(tmp_path: Path, text: str, name: str | None = None) -> Path:
    stem = name or text.split("\n", 1)[0].removeprefix("profile: ").strip()
    path = tmp_path / f"{stem}.yml"
    path.write_text(text, encoding="utf-8")
    return path


def rejected(tmp_path: Path, text: str, name: str | None = None) -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        load_profile(write(tmp_path, text, name))
    return caught.value


def test_a_canonical_profile_loads_with_the_documented_defaults(tmp_path):
    profile = load_profile(write(tmp_path, CANONICAL))
    assert profile.entity.name == "reps"
    assert (profile.format, profile.encoding, profile.delimiter) == ("csv", "utf-8", ",")
    assert profile.optional is False
    assert profile.renames is False
    assert profile.source_column("rep_id") == "rep_id"


def test_a_renaming_profile_keeps_renames_value_maps_formats_booleans_and_constants(tmp_path):
    profile = load_profile(write(tmp_path, RENAMING))
    assert profile.source_column("opportunity_id") == "Opportunity ID"
    assert profile.values["stage"]["Closed Won"] == "closed_won"
    assert profile.date_formats["created_at"] == "%m/%d/%Y %I:%M %p"
    assert profile.true_values == {"1", "是"}
    assert profile.false_values == {"0", "否"}
    assert profile.constants == {"region": "INTL"}


def test_an_unknown_entity_is_rejected_naming_the_file_and_key(tmp_path):
    error = rejected(tmp_path, CANONICAL.replace("entity: reps", "entity: deals"))
    assert "profiles/crm_reps.yml" in str(error)
    assert "key entity" in str(error)
    assert "'deals'" in str(error)


@pytest.mark.parametrize("section", ["columns", "values", "date_formats", "constants"])
def test_an_unknown_canonical_column_is_rejected_in_every_section(tmp_path, section):
    body = {
        "columns": "columns:\n  rep_id: Rep\n  name: Name\n  region: R\n  hire_date: H\n"
        "  nickname: Nick\n",
        "values": "values:\n  nickname: {a: b}\n",
        "date_formats": 'date_formats:\n  nickname: "%Y-%m-%d"\n',
        "constants": "constants:\n  nickname: Bob\n",
    }[section]
    error = rejected(tmp_path, CANONICAL + body)
    assert f"key {section}.nickname" in str(error)
    assert "not a column of reps" in str(error)


def test_a_required_column_neither_mapped_nor_constant_is_rejected(tmp_path):
    text = RENAMING.replace("  close_date: Close Date\n", "")
    error = rejected(tmp_path, text)
    assert "key columns.close_date" in str(error)
    assert "neither mapped nor set as a constant" in str(error)
    assert "close_date: close_date" in str(error)


def test_a_required_column_given_as_a_constant_needs_no_mapping(tmp_path):
    profile = load_profile(write(tmp_path, RENAMING))
    assert "region" not in profile.columns


@pytest.mark.parametrize(
    ("fmt", "problem"),
    [
        ("%Y-%m-%D", "'%D' is not a strptime directive"),
        ("%m/%d", "no year"),
        ("%Y-%m", "needs a month and a day"),
        ("%Y-%m-%d %", "lone '%'"),
    ],
)
def test_an_invalid_date_format_is_rejected_with_the_reason(tmp_path, fmt, problem):
    text = CANONICAL + f'date_formats:\n  hire_date: "{fmt}"\n'
    error = rejected(tmp_path, text)
    assert "key date_formats.hire_date" in str(error)
    assert problem in str(error)


def test_a_date_format_on_a_text_column_is_rejected(tmp_path):
    error = rejected(tmp_path, CANONICAL + 'date_formats:\n  name: "%Y-%m-%d"\n')
    assert "key date_formats.name" in str(error)
    assert "not a date" in str(error)


def test_a_value_map_on_a_non_text_column_is_rejected(tmp_path):
    error = rejected(tmp_path, CANONICAL + "values:\n  hire_date: {x: y}\n")
    assert "key values.hire_date" in str(error)
    assert "text columns only" in str(error)


def test_a_value_map_onto_a_value_outside_the_allowed_set_is_rejected(tmp_path):
    error = rejected(tmp_path, RENAMING.replace("Closed Won: closed_won", "Closed Won: won"))
    assert "key values.stage.Closed Won" in str(error)
    assert "'won' is not an allowed stage" in str(error)


def test_a_wrong_format_is_rejected(tmp_path):
    error = rejected(tmp_path, CANONICAL.replace("format: csv", "format: json"))
    assert "key format" in str(error)
    assert "csv, parquet, xlsx" in str(error)


def test_an_unknown_encoding_is_rejected(tmp_path):
    error = rejected(tmp_path, CANONICAL + "encoding: klingon\n")
    assert "key encoding" in str(error)


def test_a_misspelt_key_is_rejected_rather_than_ignored(tmp_path):
    error = rejected(tmp_path, CANONICAL + "colums:\n  rep_id: Rep\n")
    assert "key colums" in str(error)
    assert "unknown key" in str(error)


def test_a_profile_name_must_match_its_file_name(tmp_path):
    error = rejected(tmp_path, CANONICAL, name="other")
    assert "key profile" in str(error)


def test_a_constant_of_the_wrong_type_is_rejected(tmp_path):
    error = rejected(tmp_path, CANONICAL + "constants:\n  hire_date: soon\n")
    assert "key constants.hire_date" in str(error)


def test_a_duplicate_key_in_a_value_map_is_rejected(tmp_path):
    text = RENAMING.replace(
        "stage: {Closed Won: closed_won, Prospecting: prospecting}",
        "stage: {Closed Won: closed_won, Closed Won: closed_lost}",
    )
    error = rejected(tmp_path, text)
    assert "duplicate key 'Closed Won'" in str(error)


def test_yes_no_and_region_codes_like_no_stay_labels(tmp_path):
    text = CANONICAL + "values:\n  region: {NO: NORTH, yes: EAST}\n"
    profile = load_profile(write(tmp_path, text))
    assert profile.values["region"] == {"NO": "NORTH", "yes": "EAST"}


def test_discovery_returns_an_entitys_profiles_and_validates_all(tmp_path):
    write(tmp_path, CANONICAL)
    write(tmp_path, RENAMING)
    assert [p.name for p in discover_profiles(tmp_path, "reps")] == ["crm_reps"]
    write(tmp_path, CANONICAL.replace("crm_reps", "broken").replace("reps\n", "deals\n"))
    with pytest.raises(ProfileError, match=r"broken\.yml"):
        discover_profiles(tmp_path, "reps")


_DATE_PARTS = st.permutations(["%Y", "%m", "%d"])
_SEPARATORS = st.sampled_from(["-", "/", ".", "", " "])
_TIMES = st.sampled_from(["", " %H:%M", " %H:%M:%S", "T%H:%M:%S.%f", " %I:%M %p"])


@given(_DATE_PARTS, _SEPARATORS, _TIMES)
def test_every_format_with_a_year_month_and_day_is_accepted(parts, separator, time):
    assert strptime_format_problem(separator.join(parts) + time) is None
