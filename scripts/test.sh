#!/usr/bin/env bash
# Install what is missing (incl. test tools), then run the whole test suite offscreen.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/services -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 NUMBA_DISABLE_JIT=1
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
