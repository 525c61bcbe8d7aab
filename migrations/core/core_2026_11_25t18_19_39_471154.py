"""meter_value becomes one row per OCPP MeterValue (3 of 3): the old rows move over, grouped by the MeterValue they
came in (station, session, connector, timestamp, arrival), their sampled values in the order they were stored.
Empty phase, location and unit are left out, as a station leaves them out; the readers' defaults give them back.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-25T18:19:39:471154"
VERSION = "1.38.0"
DESCRIPTION = "meter_value: rows moved, old table dropped"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core", description=DESCRIPTION
    )

    async def move_rows() -> None:
        from core.piccolo_conf import DB

        if isinstance(DB, PostgresEngine):
            sampled = (
                "json_agg(json_strip_nulls(json_build_object('value', value, 'measurand', measurand, 'phase', "
                "NULLIF(phase, ''), 'context', context, 'location', NULLIF(location, ''), 'unit', NULLIF(unit, ''), "
                "'format', format)) ORDER BY id)"
            )
            source = "meter_value_old"
        else:
            base = "json_object('value', value, 'measurand', measurand, 'context', context, 'format', format)"
            with_phase = f"CASE WHEN phase != '' THEN json_set({base}, '$.phase', phase) ELSE {base} END"
            with_location = (
                f"CASE WHEN location != '' THEN json_set({with_phase}, '$.location', location) ELSE {with_phase} END"
            )
            with_unit = f"CASE WHEN unit != '' THEN json_set({with_location}, '$.unit', unit) ELSE {with_location} END"
            sampled = f"json_group_array(json({with_unit}))"
            source = "(SELECT * FROM meter_value_old ORDER BY id)"  # SQLite aggregates in scan order
        await DB.run_ddl(
            'INSERT INTO meter_value (station, session, connector_id, "timestamp", sampled_value, created_at) '
            f'SELECT station, session, connector_id, "timestamp", {sampled}, created_at FROM {source} AS old '
            'GROUP BY station, session, connector_id, "timestamp", created_at ORDER BY MIN(id)'
        )

    manager.add_raw(move_rows)

    manager.drop_table(
        class_name="MeterValueOld", tablename="meter_value_old", schema=None
    )

    return manager
