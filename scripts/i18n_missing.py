"""Lists msgids used in code and templates that have no German translation yet.

Usage: .venv/bin/python scripts/i18n_missing.py   (prints a .po skeleton of the missing entries)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.i18n_check import missing_translations  # noqa: E402

if __name__ == "__main__":
    for msgid in missing_translations("de"):
        escaped = msgid.replace("\\\\", "\\\\\\\\").replace('"', '\\\\"')
        print(f'msgid "{escaped}"\nmsgstr ""\n')
