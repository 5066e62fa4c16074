"""The as-of month reaches dbt as var ``as_of_month`` or as ``SALESPLAN_AS_OF_MONTH``.

The Dagster asset uses the environment variable so that dbt keeps its parse of the project
from one month to the next (a changed var makes dbt parse everything again), and the macro reads
it only when executing, so that a new month re-parses nothing.
"""

from __future__ import annotations

from pathlib import Path

from dbt_runs import failure, run_dbt
from tiny_business import AS_OF_MONTH, TINY_VARS

from pipelines.defs.dbt.assets import AS_OF_ENV_VAR

WITHOUT_AS_OF = {name: value for name, value in TINY_VARS.items() if name != "as_of_month"}
MODEL = "fct_bookings_monthly"


def _compiled(tiny_warehouse: Path, target: Path, **options: object) -> str:
    result = run_dbt(
        ["compile", "--select", MODEL], warehouse=tiny_warehouse, target=target, **options
    )
    assert result.returncode == 0, failure(result)
    return next(target.glob(f"compiled/salesplan/models/**/{MODEL}.sql")).read_text("utf-8")


def test_the_environment_variable_compiles_the_same_sql_as_the_var_which_wins(
    tiny_warehouse: Path, tmp_path: Path
) -> None:
    # The var is given along with another month in the environment: the var wins.
    from_var = _compiled(
        tiny_warehouse, tmp_path / "var", dbt_vars=TINY_VARS, env={AS_OF_ENV_VAR: "2020-01-01"}
    )
    from_env = _compiled(
        tiny_warehouse,
        tmp_path / "env",
        dbt_vars=WITHOUT_AS_OF,
        env={AS_OF_ENV_VAR: AS_OF_MONTH},
    )

    assert f"date '{AS_OF_MONTH}' as as_of_month" in from_var
    assert from_env == from_var


def test_a_new_month_in_the_environment_leaves_dbt_s_parse_of_the_project_as_it_was(
    tiny_warehouse: Path, tmp_path: Path
) -> None:
    # The month is read only when executing, so no file depends on it while parsing: before,
    # each new month re-parsed the 27 files that use it (~3 s of every monthly build).
    for month in ("2025-06-01", "2025-07-01"):
        result = run_dbt(
            ["parse"],
            warehouse=tiny_warehouse,
            dbt_vars=WITHOUT_AS_OF,
            target=tmp_path,
            env={AS_OF_ENV_VAR: month},
        )
        assert result.returncode == 0, failure(result)

    log = (tmp_path / "dbt.log").read_text(encoding="utf-8")
    second = log[log.rindex("Running with dbt=") :]
    assert "Partial parsing enabled: 0 files deleted, 0 files added, 0 files changed." in second
    assert "Nothing changed, skipping partial parsing" in second


def test_without_an_as_of_month_the_build_names_both_ways_to_give_it(
    tiny_warehouse: Path, tmp_path: Path
) -> None:
    result = run_dbt(
        ["compile", "--select", MODEL],
        warehouse=tiny_warehouse,
        dbt_vars=WITHOUT_AS_OF,
        target=tmp_path,
    )

    assert result.returncode != 0
    assert "var as_of_month" in result.stdout
    assert AS_OF_ENV_VAR in result.stdout
