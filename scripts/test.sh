#!/usr/bin/env bash
# The whole test suite: lint, types, then pytest against PostgreSQL + Redis and against embedded SQLite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k overview). CSMS_TEST_DB / CSMS_TEST_REDIS_DB pick
# another PostgreSQL database / Redis db number so that parallel runs on one machine do not collide.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# The exact versions of requirements.lock (scripts/lock.sh updates it deliberately).
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true

# The OCPI tests talk to extrawest-ocpi in its own virtualenv (tests/ocpi_peer/README.md); made once, then
# reused while tests/ocpi_peer/requirements.txt is unchanged. The suite needs it, like PostgreSQL and Redis.
.venv/bin/python -m tests.ocpi_peer.venv || { echo "the OCPI peer's virtualenv could not be built" >&2; exit 1; }

# Browser tests drive Debian's chromium.
if ! [ -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  else
    echo "chromium is missing: apt-get install chromium" >&2; exit 1
  fi
fi

PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}; REDIS_PORT=${REDIS_PORT:-6379}
port_open() { .venv/bin/python -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('$1', $2)))"; }
wait_port() { for _ in $(seq 1 30); do port_open "$1" "$2" && return 0; sleep 1; done; return 1; }

if ! port_open "$PGHOST" "$PGPORT"; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  wait_port "$PGHOST" "$PGPORT" || { echo "PostgreSQL is not reachable on $PGHOST:$PGPORT" >&2; exit 1; }
fi
if ! port_open "$REDIS_HOST" "$REDIS_PORT"; then
  if command -v redis-server >/dev/null; then
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null || true
  fi
  wait_port "$REDIS_HOST" "$REDIS_PORT" || { echo "Redis is not reachable on $REDIS_HOST:$REDIS_PORT" >&2; exit 1; }
fi

.venv/bin/ruff check .
.venv/bin/mypy --no-error-summary core portal hub ocpp_cs workers csms
.venv/bin/lint-imports --no-cache --no-logo  # the dependency contract in pyproject.toml

echo "== PostgreSQL + Redis =="
CSMS_TEST_MODE=production \
DATABASE_URL="postgresql://postgres@$PGHOST:$PGPORT/${CSMS_TEST_DB:-csms_test}" \
REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT/${CSMS_TEST_REDIS_DB:-15}" \
  .venv/bin/pytest -q -p no:cacheprovider "$@"

echo "== embedded SQLite =="
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CSMS_TEST_MODE=embedded DATABASE_URL="sqlite:///$tmp/test.sqlite3" REDIS_URL="" CSMS_VAR_DIR="$tmp" \
  .venv/bin/pytest -q -p no:cacheprovider -m "not redis" "$@"
