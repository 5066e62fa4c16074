#!/usr/bin/env bash
# Install everything the tests need on a fresh machine with only Python 3.11, then run them.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet uv
fi
uv sync --frozen
bash scripts/install-chromium.sh
uv run --frozen ruff check .
uv run --frozen ruff format --check .
(cd dbt_project && uv run --frozen sqlfluff lint models tests macros)
# One worker per core, each taking whole folders of tests (tests/conftest.py); -n 0 runs the
# tests in this process.
uv run --frozen pytest --numprocesses auto --dist loadscope --no-loadscope-reorder "$@"
