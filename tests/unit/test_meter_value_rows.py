"""How MeterValues are stored: one row per OCPP MeterValue with its sampled values as sent, read back as one
dict per sampled value with OCPP's defaults (core.charging.meter_values.meter_params / sampled_values)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from core.charging import meter_values

STAMP = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
OCMF = 'OCMF|{"FV":"1.0","RD":[{"RV":"1.5","RU":"kWh"}]}|{"SD":"3045"}'


def test_one_row_per_meter_value_keeps_the_sampled_values_verbatim() -> None:
    meter_value = [
        {"timestamp": "2026-11-25T11:00:00Z", "sampledValue": [{"value": "1500"}, {"value": "16.2", "measurand":
                                                                 "Current.Import", "phase": "L1", "unit": "A"}]},
        {"timestamp": "2026-11-25T11:01:00.250+01:00", "sampledValue": [{"value": OCMF, "format": "SignedData"}]},
    ]  # fmt: skip
    rows = meter_values.meter_params(7, 42, 1, meter_value, STAMP)
    assert [row[:4] for row in rows] == [
        (7, 42, 1, datetime(2026, 11, 25, 11, 0, tzinfo=UTC)),
        (7, 42, 1, datetime(2026, 11, 25, 10, 1, 0, 250000, tzinfo=UTC)),
    ]
    assert json.loads(rows[1][4]) == [{"value": OCMF, "format": "SignedData"}]  # signed data untouched
    assert all(row[5] == STAMP for row in rows)


def test_sampled_values_fill_in_the_ocpp_defaults() -> None:
    rows = [
        {"id": 1, "station": 7, "session": 42, "connector_id": 1, "timestamp": STAMP,
         "sampled_value": json.dumps([{"value": "1500"}, {"value": 16.2, "measurand": "Current.Import",
                                                          "phase": "L1", "unit": "A", "context": "Trigger"}])},
        {"id": 2, "station": 7, "session": None, "connector_id": 0, "timestamp": STAMP,
         "sampled_value": [{"value": "3.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh",
                            "location": "Outlet", "format": "Raw"}]},
        {"id": 3, "station": 7, "session": None, "connector_id": 0, "timestamp": STAMP, "sampled_value": "[]"},
    ]  # fmt: skip
    values = meter_values.sampled_values(rows)
    assert [(v["meter_value"], v["measurand"], v["phase"], v["context"], v["location"], v["unit"], v["format"],
             v["value"]) for v in values] == [
        (1, "Energy.Active.Import.Register", "", "Sample.Periodic", "", "Wh", "Raw", "1500"),
        (1, "Current.Import", "L1", "Trigger", "", "A", "Raw", "16.2"),
        (2, "Energy.Active.Import.Register", "", "Sample.Periodic", "Outlet", "kWh", "Raw", "3.5"),
    ]  # fmt: skip
    assert values[0]["session"] == 42 and values[2]["session"] is None and values[0]["timestamp"] == STAMP
