#!/usr/bin/env bash
# Lint and type checks: ruff (lint + format check) everywhere, mypy on the Qt-free packages.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check src tests scripts
.venv/bin/ruff format --check src tests scripts
.venv/bin/mypy
