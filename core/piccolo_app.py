"""The Piccolo app holding every csms table; migrations live in migrations/core/."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

from core.settings import PROJECT_ROOT

# Each domain keeps its tables in its package's tables module (the outbox in core.outbox); list new ones here.
TABLE_MODULES = [
    "core.outbox",
    "core.tenancy.tables",
    "core.mail.tables",
    "core.infrastructure.tables",
    "core.tariffs.tables",
    "core.access.tables",
    "core.charging.tables",
    "core.commands.tables",
    "core.cdrs.tables",
    "core.roaming.tables",
    "core.payments.tables",
    "core.community.tables",
    "core.products.tables",
    "core.billing.tables",
    "core.alerts.tables",
    "core.firmware.tables",
    "core.load_management.tables",
    "core.dashboard.tables",
]

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=str(Path(PROJECT_ROOT) / "migrations" / "core"),
    table_classes=table_finder(modules=TABLE_MODULES, exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
