#!/usr/bin/env bash
# Generate a Piccolo auto migration for the core app after changing tables: scripts/makemigration.sh "what changed"
# Serialised with a lock so that two developers in one tree never generate the same change twice.
set -euo pipefail
cd "$(dirname "$0")/.."
desc=${1:?describe the change}
exec 9>/tmp/csms-makemigration.lock
flock 9
tmp=$(mktemp -d)
PICCOLO_CONF=core.piccolo_conf CSMS_VAR_DIR="$tmp" DATABASE_URL="sqlite:///$tmp/gen.sqlite3" \
  .venv/bin/piccolo migrations new core --auto --desc "$desc"
rm -rf "$tmp"
