#!/usr/bin/env bash
# Install what is missing, then start Studio (extra arguments go to the `studio` command).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/studio "$@"
