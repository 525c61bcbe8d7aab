"""The migration that turned meter_value into one row per OCPP MeterValue moves the rows of the old table (one
per sampled value) over without losing a value, on PostgreSQL and SQLite alike."""

from __future__ import annotations

import importlib
import random
from datetime import UTC, datetime, timedelta

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from core.charging import meter_values
from core.charging.tables import MeterValue

MOVE = importlib.import_module("migrations.core.core_2026_11_25t18_19_39_471154")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
OCMF = 'OCMF|{"FV":"1.0","RD":[{"RV":"1.5","RU":"kWh"}]}|{"SD":"3045"}'


class OldMeterValue(Table, tablename="meter_value_old"):
    """The old shape (as in the migrations before 2026-11-25T18:19)."""

    station = Integer()
    session = Integer(null=True, default=None)
    connector_id = Integer(default=0)
    timestamp = Timestamptz()
    measurand = Varchar(length=60, default="Energy.Active.Import.Register")
    phase = Varchar(length=10, default="")
    context = Varchar(length=30, default="Sample.Periodic")
    location = Varchar(length=10, default="")
    unit = Varchar(length=12, default="")
    format = Varchar(length=12, default="Raw")
    value = Text()
    created_at = Timestamptz()


async def test_old_rows_become_one_row_per_meter_value() -> None:
    session = random.randint(10**8, 2 * 10**8)  # no foreign keys: any id is a distinct series
    arrived = T0 + timedelta(seconds=5)
    await OldMeterValue.create_table(if_not_exists=True)
    try:
        rows = [
            # one MeterValue with three sampled values ...
            dict(timestamp=T0, value="1500", unit="Wh"),
            dict(timestamp=T0, measurand="Current.Import", phase="L1", unit="A", value="16.0"),
            dict(timestamp=T0, measurand="Voltage", phase="L1-N", location="Outlet", unit="V", value="230.1"),
            # ... a signed one a minute later, and the StopTransaction's transactionData (connector 0)
            dict(timestamp=T0 + timedelta(minutes=1), format="SignedData", context="Transaction.End", value=OCMF),
            dict(timestamp=T0 + timedelta(minutes=2), connector_id=0, context="Transaction.End", unit="Wh",
                 value="2500"),
        ]  # fmt: skip
        await OldMeterValue.insert(
            *[
                OldMeterValue(**{"station": 7, "session": session, "connector_id": 1, "created_at": arrived, **row})
                for row in rows
            ]
        )
        manager = await MOVE.forwards()
        for raw in manager.raw:
            await raw()
    finally:
        await OldMeterValue.alter().drop_table(if_exists=True)

    stored = await MeterValue.select().where(MeterValue.session == session).order_by(MeterValue.id)
    assert [(r["connector_id"], r["timestamp"]) for r in stored] == [
        (1, T0), (1, T0 + timedelta(minutes=1)), (0, T0 + timedelta(minutes=2))
    ]  # fmt: skip
    values = await meter_values.session_sampled_values(session)
    assert [(v["measurand"], v["phase"], v["location"], v["unit"], v["context"], v["format"], v["value"])
            for v in values] == [
        ("Energy.Active.Import.Register", "", "", "Wh", "Sample.Periodic", "Raw", "1500"),
        ("Current.Import", "L1", "", "A", "Sample.Periodic", "Raw", "16.0"),
        ("Voltage", "L1-N", "Outlet", "V", "Sample.Periodic", "Raw", "230.1"),
        ("Energy.Active.Import.Register", "", "", "Wh", "Transaction.End", "SignedData", OCMF),
        ("Energy.Active.Import.Register", "", "", "Wh", "Transaction.End", "Raw", "2500"),
    ]  # fmt: skip
    assert all(v["station"] == 7 for v in values)
