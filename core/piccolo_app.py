"""The Piccolo app holding every csms table; migrations live in migrations/core/."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

from core.settings import PROJECT_ROOT

# Each area keeps its tables in its own module; list new modules here.
TABLE_MODULES = [
    "core.tables",
    "core.tables_imports",
    "core.tables_charging",
    "core.tables_monitoring",
    "core.tables_commands",
    "core.tables_tariffs",
    "core.tables_cdrs",
    "core.tables_driver_groups",
]

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=str(Path(PROJECT_ROOT) / "migrations" / "core"),
    table_classes=table_finder(modules=TABLE_MODULES, exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
