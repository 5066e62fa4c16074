# Task runner. Every target runs inside the locked environment (uv.lock).
UV := uv run --frozen

.PHONY: install test test_full lint format manifest dev demo bench update_snapshot

install:            ## install the locked environment
	uv sync --frozen

test:               ## lint + the test suite (what CI runs)
	bash scripts/test.sh

test_full:          ## also the slow end-to-end tests on the default demo
	bash scripts/test.sh --slow

lint:               ## ruff, ruff format check, sqlfluff
	$(UV) ruff check .
	$(UV) ruff format --check .
	cd dbt_project && $(UV) sqlfluff lint models tests macros

format:             ## apply ruff fixes and formatting
	$(UV) ruff check --fix .
	$(UV) ruff format .

manifest:           ## dbt deps + parse: the manifest the code location loads
	$(UV) python -m pipelines.defs.dbt.project

dev:                ## the Dagster UI on the demo home
	DAGSTER_HOME=$${SALESPLAN_HOME:-$$PWD/.salesplan}/dagster $(UV) dagster dev -w workspace.yaml

demo:               ## generate the default demo and run the latest month
	$(UV) salesplan demo

bench:              ## the scale benchmark at default and large (prints figures; see README)
	$(UV) python bench/scale.py --sizes default large

update_snapshot:    ## refresh the asset-graph snapshot after an intended change
	$(UV) pytest tests/integration/pipelines/test_definitions.py --snapshot-update
