#!/usr/bin/env bash
# The whole test suite: lint, types, then pytest against PostgreSQL + Redis and against embedded SQLite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k overview). Works on a fresh Debian machine: as root it
# installs what is missing (python3-venv, PostgreSQL, Redis, chromium) and starts the services; otherwise it says
# which command to run. The suite logs in to PostgreSQL with a password, as its own role (see README, "Test").
#   CSMS_TEST_DATABASE_URL  postgresql://user:password@host:port/db of a role that may create databases; the suite
#                           drops and recreates db (and the tests' scratch databases db_scratch_*). Unset: role csms_test on PGHOST:PGPORT.
#   CSMS_TEST_DB            that database's name when CSMS_TEST_DATABASE_URL is unset (default csms_test)
#   CSMS_TEST_DB_PASSWORD   the password of role csms_test (default csms-test)
#   CSMS_TEST_REDIS_DB      Redis db number (default 15); parallel runs on one machine pick their own db and number
#   CHROMIUM_PATH           the browser the browser tests drive (default /usr/bin/chromium, Debian's chromium)
#   PGHOST / PGPORT, REDIS_HOST / REDIS_PORT   where the servers listen (default 127.0.0.1:5432 and :6379)
set -euo pipefail
cd "$(dirname "$0")/.."
is_root() { [ "$(id -u)" = 0 ]; }
apt_install() {  # apt_install PACKAGE...: as root install them, otherwise say how and stop
  if is_root; then
    echo "installing $* (apt-get)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >/dev/null
  else
    echo "missing: $*; install with: sudo apt-get install $*" >&2
    exit 1
  fi
}

PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
if ! [ -x .venv/bin/python ]; then
  "$PY" -m venv .venv 2>/dev/null || { rm -rf .venv; apt_install python3-venv; "$PY" -m venv .venv; }
fi
# The exact versions of requirements.lock (scripts/lock.sh updates it deliberately).
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true

# The OCPI tests talk to extrawest-ocpi in its own virtualenv (tests/ocpi_peer/README.md); made once, then
# reused while tests/ocpi_peer/requirements.txt is unchanged. The suite needs it, like PostgreSQL and Redis.
.venv/bin/python -m tests.ocpi_peer.venv || { echo "the OCPI peer's virtualenv could not be built" >&2; exit 1; }

# Browser tests drive chromium: CHROMIUM_PATH, or Debian's package.
export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
if ! [ -x "$CHROMIUM_PATH" ]; then
  [ "$CHROMIUM_PATH" = /usr/bin/chromium ] || { echo "CHROMIUM_PATH=$CHROMIUM_PATH is not a program" >&2; exit 1; }
  apt_install chromium
fi

PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}; REDIS_PORT=${REDIS_PORT:-6379}
port_open() { .venv/bin/python -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('$1', $2)))"; }
wait_port() { for _ in $(seq 1 30); do port_open "$1" "$2" && return 0; sleep 1; done; return 1; }

if [ -z "${CSMS_TEST_DATABASE_URL:-}" ] && ! port_open "$PGHOST" "$PGPORT"; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  if is_root && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  fi
  wait_port "$PGHOST" "$PGPORT" || { echo "PostgreSQL is not reachable on $PGHOST:$PGPORT" >&2; exit 1; }
fi
if ! port_open "$REDIS_HOST" "$REDIS_PORT"; then
  command -v redis-server >/dev/null || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null || true
  wait_port "$REDIS_HOST" "$REDIS_PORT" || { echo "Redis is not reachable on $REDIS_HOST:$REDIS_PORT" >&2; exit 1; }
fi

# The suite's PostgreSQL login: given, or role csms_test with a password, made by the local superuser (Debian's
# postgres account, reached as root) and owning the suite's databases, which it drops and recreates.
pg_login() {  # can this URL log in?
  .venv/bin/python - "$1" <<'EOF'
import asyncio, sys, asyncpg
async def login() -> None:
    await (await asyncpg.connect(sys.argv[1], database="postgres", timeout=5)).close()
try:
    asyncio.run(login())
except Exception as exc:
    sys.exit(f"cannot log in to PostgreSQL: {exc}")
EOF
}
pg_admin() {  # psql as the local superuser, reading SQL from stdin
  is_root && id postgres >/dev/null 2>&1 && command -v psql >/dev/null || return 1
  (cd / && runuser -u postgres -- psql -p "$PGPORT" -X -q -v ON_ERROR_STOP=1 "$@")
}
role_sql() {
  # The role, with this password; databases left by runs as another user are handed to it (nothing is dropped).
  cat <<'EOF'
SELECT format(CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
  THEN 'ALTER ROLE %I LOGIN CREATEDB PASSWORD %L' ELSE 'CREATE ROLE %I LOGIN CREATEDB PASSWORD %L' END,
  :'role', :'password') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', datname, :'role') FROM pg_database
  WHERE (datname = :'db' OR starts_with(datname, :'db' || '_scratch_')) AND pg_get_userbyid(datdba) <> :'role' \gexec
EOF
}
if [ -n "${CSMS_TEST_DATABASE_URL:-}" ]; then
  TEST_DATABASE_URL=$CSMS_TEST_DATABASE_URL
else
  role=csms_test db=${CSMS_TEST_DB:-csms_test} password=${CSMS_TEST_DB_PASSWORD:-csms-test}
  quoted=$(.venv/bin/python -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$password")
  TEST_DATABASE_URL="postgresql://$role:$quoted@$PGHOST:$PGPORT/$db"
  vars=(-v role="$role" -v password="$password" -v db="$db")
  # Twice: a parallel run may create the role in between; the second try alters it instead.
  if role_sql | pg_admin "${vars[@]}" 2>/dev/null || role_sql | pg_admin "${vars[@]}"; then
    :
  elif ! pg_login "$TEST_DATABASE_URL" 2>/dev/null; then
    cat >&2 <<EOF
The tests log in to PostgreSQL as role $role with a password. Create it once as the database superuser:
  sudo -u postgres psql -c "CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password'"
or name another role that may create databases: CSMS_TEST_DATABASE_URL=postgresql://user:password@host:5432/db
EOF
    exit 1
  fi
fi
pg_login "$TEST_DATABASE_URL"

.venv/bin/ruff check .
.venv/bin/mypy --no-error-summary core portal hub ocpp_cs workers payment_providers csms
.venv/bin/lint-imports --no-cache --no-logo  # the dependency contract in pyproject.toml

# The two halves run side by side (each is mostly waiting on its servers, browsers and peers); the PostgreSQL
# half prints as it goes, the SQLite half's output follows it. CSMS_TEST_SERIAL=1 runs them one after the other.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/var"
run_postgres() {
  CSMS_TEST_MODE=production \
  DATABASE_URL="$TEST_DATABASE_URL" \
  REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT/${CSMS_TEST_REDIS_DB:-15}" \
    .venv/bin/pytest -q -p no:cacheprovider --durations=15 "$@"
}
run_sqlite() {
  CSMS_TEST_MODE=embedded DATABASE_URL="sqlite:///$tmp/var/test.sqlite3" REDIS_URL="" CSMS_VAR_DIR="$tmp/var" \
    .venv/bin/pytest -q -p no:cacheprovider --durations=15 -m "not redis" "$@"
}
if [ -n "${CSMS_TEST_SERIAL:-}" ]; then
  echo "== PostgreSQL + Redis =="; run_postgres "$@"
  echo "== embedded SQLite =="; run_sqlite "$@"
  exit 0
fi
run_sqlite "$@" >"$tmp/sqlite.log" 2>&1 &
sqlite_pid=$!
echo "== PostgreSQL + Redis =="
postgres_rc=0; run_postgres "$@" || postgres_rc=$?
sqlite_rc=0; wait "$sqlite_pid" || sqlite_rc=$?
echo "== embedded SQLite =="
cat "$tmp/sqlite.log"
echo "PostgreSQL + Redis: exit $postgres_rc; embedded SQLite: exit $sqlite_rc"
[ "$postgres_rc" = 0 ] && [ "$sqlite_rc" = 0 ]
