#!/usr/bin/env bash
# All static checks: ruff (lint + format check) everywhere, mypy on the Qt-free packages, and
# the layer contracts of pyproject.toml's [tool.importlinter] (scripts/import_contracts.py).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check src tests scripts installers
.venv/bin/ruff format --check src tests scripts installers
.venv/bin/mypy
.venv/bin/lint-imports --no-logo
