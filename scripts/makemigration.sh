#!/usr/bin/env bash
# Generate a Piccolo auto migration for the core app after changing tables: scripts/makemigration.sh "what changed"
# Serialised with a lock so that two developers in one tree never generate the same change twice.
set -euo pipefail
cd "$(dirname "$0")/.."
desc=${1:?describe the change}
exec 9>/tmp/csms-makemigration.lock
flock 9
tmp=$(mktemp -d)
before=$(ls migrations/core)
PICCOLO_CONF=core.piccolo_conf CSMS_VAR_DIR="$tmp" DATABASE_URL="sqlite:///$tmp/gen.sqlite3" \
  .venv/bin/piccolo migrations new core --auto --desc "$desc"
rm -rf "$tmp"
# piccolo's CLI writes DESCRIPTION = "True" (it reads --desc as a flag): put the description in ourselves.
for f in migrations/core/*.py; do
  name=$(basename "$f")
  if ! grep -qxF "$name" <<<"$before"; then
    DESC="$desc" .venv/bin/python - "$f" <<'PY'
import json, os, re, sys
path = sys.argv[1]
text = open(path).read()
text = re.sub(r"^DESCRIPTION = .*$", lambda _: "DESCRIPTION = " + json.dumps(os.environ["DESC"]), text, count=1, flags=re.M)
open(path, "w").write(text)
PY
    echo "wrote $f"
  fi
done
