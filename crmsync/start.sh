#!/usr/bin/env bash
# Install crmsync and start it on the embedded default (SQLite, in-process tasks),
# or on PostgreSQL / Redis when DATABASE_URL / CELERY_BROKER_URL are set.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
exec .venv/bin/python manage.py crmsync_demo "$@"
