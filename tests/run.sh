#!/usr/bin/env bash
# Install what the test suite needs, then run it (arguments go to pytest).
# Uses PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set
# (.ci/run sets them); otherwise the embedded default (SQLite, in-process tasks).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
exec .venv/bin/python -m pytest "$@"
