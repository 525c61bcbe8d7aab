#!/usr/bin/env bash
# Install into .venv, migrate the embedded database, load demo data and serve on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e . 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/csms migrate
.venv/bin/csms demo
exec .venv/bin/csms serve "$@"
