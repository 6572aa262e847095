#!/usr/bin/env bash
# Install what the test suite needs, then run it (arguments go to pytest).
# Uses PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set, or when
# they answer on their usual local ports; otherwise the embedded default (SQLite,
# in-process tasks), and the tests that need the real services are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt

if [ -z "${DATABASE_URL:-}" ] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/crmsync
fi
if [ -z "${CELERY_BROKER_URL:-}" ] && command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  export CELERY_BROKER_URL=redis://127.0.0.1:6379/0
fi
echo "tests on: ${DATABASE_URL:-SQLite} / ${CELERY_BROKER_URL:-in-process tasks}"
exec .venv/bin/python -m pytest "$@"
