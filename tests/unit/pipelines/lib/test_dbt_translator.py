import dagster as dg
import pytest

from pipelines.lib.dbt_translator import SalesplanDbtTranslator


def _model(name: str, fqn: list[str], schema: str = "marts") -> dict:
    return {
        "resource_type": "model",
        "name": name,
        "fqn": fqn,
        "config": {"schema": schema, "meta": {}},
        "meta": {},
    }


def _source(name: str, source_name: str, meta: dict) -> dict:
    return {
        "resource_type": "source",
        "name": name,
        "source_name": source_name,
        "fqn": ["salesplan", "staging", source_name, source_name, name],
        "config": {"meta": meta},
        "meta": meta,
    }


def test_a_model_is_keyed_by_its_name_without_its_schema():
    translator = SalesplanDbtTranslator()
    model = _model("fct_bookings_monthly", ["salesplan", "marts", "sales", "fct_bookings_monthly"])

    assert translator.get_asset_key(model) == dg.AssetKey("fct_bookings_monthly")


def test_a_source_is_keyed_by_the_ingestion_asset_its_meta_names():
    translator = SalesplanDbtTranslator()
    source = _source("opportunities", "crm", {"dagster": {"asset_key": ["crm_opportunities_raw"]}})

    assert translator.get_asset_key(source) == dg.AssetKey("crm_opportunities_raw")


def test_a_source_without_an_asset_key_in_its_meta_is_an_error_naming_it():
    translator = SalesplanDbtTranslator()
    source = _source("opportunities", "crm", {})

    with pytest.raises(ValueError, match=r"crm\.opportunities has no meta\.dagster\.asset_key"):
        translator.get_asset_key(source)


@pytest.mark.parametrize(
    ("fqn", "group"),
    [
        (["salesplan", "staging", "crm", "stg_crm__leads"], "staging"),
        (["salesplan", "intermediate", "sales", "int_leads_enriched"], "intermediate"),
        (["salesplan", "marts", "core", "dim_rep"], "marts"),
    ],
)
def test_a_model_is_grouped_by_its_top_folder(fqn, group):
    translator = SalesplanDbtTranslator()

    assert translator.get_group_name(_model(fqn[-1], fqn)) == group


def test_a_model_at_the_root_of_models_has_no_group():
    translator = SalesplanDbtTranslator()

    assert translator.get_group_name(_model("loose_model", ["salesplan", "loose_model"])) is None
