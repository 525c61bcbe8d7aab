"""The csms domain: settings, database, tables and business rules.

Nothing in here knows about HTTP, OCPP framing, httpx or dramatiq.
"""

import os

# Piccolo finds its engine through this module; set before any table is used.
os.environ.setdefault("PICCOLO_CONF", "core.piccolo_conf")
