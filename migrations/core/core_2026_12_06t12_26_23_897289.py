"""CDR corrections: credit CDRs and the new CDR of a correction (core.cdrs.building.correct_cdr), and the session's
current CDR (ChargingSession.cdr_id, filled from the CDRs made so far).

A session now has several CDRs, so ``cdr.session`` is no longer unique. PostgreSQL drops the constraint (Piccolo's
own step); SQLite cannot drop a column constraint, so there the table is rebuilt as SQLite documents it (same
definition without UNIQUE, rows copied, indexes made again). The recorded operation stays Piccolo's, so that auto
migrations see the column as it is declared.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T12:26:23:897289"
VERSION = "1.38.0"
DESCRIPTION = "CDR corrections: credit CDRs and new CDRs; the session's current CDR"


class _Manager(MigrationManager):
    async def _run_alter_columns(self, backwards: bool = False) -> None:
        from core.db import engine

        if backwards or not isinstance(engine(), SQLiteEngine):
            await super()._run_alter_columns(backwards)
        else:
            await _rebuild_cdr_without_unique_session()
        if not backwards:
            from core.cdrs.tables import Cdr

            await Cdr.raw(
                "UPDATE charging_session SET cdr_id = (SELECT MAX(c.id) FROM cdr c WHERE c.session = charging_session.id)"
                " WHERE cdr_id IS NULL AND EXISTS (SELECT 1 FROM cdr c WHERE c.session = charging_session.id)"
            )


async def _rebuild_cdr_without_unique_session() -> None:
    from core.cdrs.tables import Cdr

    rows = await Cdr.raw("SELECT type, sql FROM sqlite_master WHERE tbl_name = 'cdr' AND sql IS NOT NULL")
    table = next(r["sql"] for r in rows if r["type"] == "table")
    indexes = [r["sql"] for r in rows if r["type"] == "index"]
    unique = '"session" INTEGER UNIQUE REFERENCES'
    if unique not in table:
        return
    rebuilt = table.replace(unique, '"session" INTEGER REFERENCES', 1).replace(
        'CREATE TABLE "cdr"', 'CREATE TABLE "cdr_rebuilt"', 1
    )
    await Cdr.raw(rebuilt)
    await Cdr.raw('INSERT INTO "cdr_rebuilt" SELECT * FROM "cdr"')
    await Cdr.raw('DROP TABLE "cdr"')
    await Cdr.raw('ALTER TABLE "cdr_rebuilt" RENAME TO "cdr"')
    for sql in indexes:
        await Cdr.raw(sql)


async def forwards():
    manager = _Manager(migration_id=ID, app_name="core", description=DESCRIPTION)

    manager.add_column(
        table_class_name="ChargingSession",
        tablename="charging_session",
        column_name="cdr_id",
        db_column_name="cdr_id",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Cdr",
        tablename="cdr",
        column_name="corrects_cdr_id",
        db_column_name="corrects_cdr_id",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Cdr",
        tablename="cdr",
        column_name="credit",
        db_column_name="credit",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Cdr",
        tablename="cdr",
        column_name="credit_reference_id",
        db_column_name="credit_reference_id",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="Cdr",
        tablename="cdr",
        column_name="session",
        db_column_name="session",
        params={"unique": False},
        old_params={"unique": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    return manager
