"""The cases a notification group subscribes to (seed 003: UNAVAILABILITY, FUSE_TRIPPED, SENSORS; csms adds the
other OCPP 1.6 error codes, grouped, and its anomalies) and which StatusNotification is which case."""

from __future__ import annotations

from enum import StrEnum

from core.errors import Message


class Case(StrEnum):
    UNAVAILABILITY = "UNAVAILABILITY"  # offline beyond the threshold, or Unavailable / Faulted without a cause named
    FUSE_TRIPPED = "FUSE_TRIPPED"  # over-current protection or residual-current device (RCD) tripped
    SENSORS = "SENSORS"  # temperature, energy meter, RFID reader
    CONNECTOR = "CONNECTOR"  # connector lock, communication with the car
    POWER_SUPPLY = "POWER_SUPPLY"  # over- or under-voltage, power switch
    COMMUNICATION = "COMMUNICATION"  # weak mobile signal
    STATION_ERROR = "STATION_ERROR"  # internal error, failed reset, local list conflict, other
    ANOMALY = "ANOMALY"  # csms found something off: a stale session closed, a meter going backwards


# OCPP 1.6 ChargePointErrorCode -> case (NoError: none).
CASE_OF_ERROR: dict[str, Case] = {
    "OverCurrentFailure": Case.FUSE_TRIPPED,
    "GroundFailure": Case.FUSE_TRIPPED,
    "HighTemperature": Case.SENSORS,
    "PowerMeterFailure": Case.SENSORS,
    "ReaderFailure": Case.SENSORS,
    "ConnectorLockFailure": Case.CONNECTOR,
    "EVCommunicationError": Case.CONNECTOR,
    "OverVoltage": Case.POWER_SUPPLY,
    "UnderVoltage": Case.POWER_SUPPLY,
    "PowerSwitchFailure": Case.POWER_SUPPLY,
    "WeakSignal": Case.COMMUNICATION,
    "InternalError": Case.STATION_ERROR,
    "ResetFailure": Case.STATION_ERROR,
    "LocalListConflict": Case.STATION_ERROR,
    "OtherError": Case.STATION_ERROR,
}

# Labels as the portal shows them (msgids; German in the portal's catalogue).
CASE_LABELS: dict[Case, Message] = {
    Case.UNAVAILABILITY: Message("Unavailable"),
    Case.FUSE_TRIPPED: Message("Fuse tripped"),
    Case.SENSORS: Message("Sensors"),
    Case.CONNECTOR: Message("Connector or car communication"),
    Case.POWER_SUPPLY: Message("Power supply"),
    Case.COMMUNICATION: Message("Mobile signal"),
    Case.STATION_ERROR: Message("Station error"),
    Case.ANOMALY: Message("Anomaly"),
}

# The anomalies of core.charging (AnomalyKind values) that are alerts; the others are data notes, not failures.
ALERTING_ANOMALIES = frozenset({"stale_session", "meter_backwards"})


def case_of_status(status: str, error_code: str) -> Case | None:
    """The case a StatusNotification reports, or None when it reports no problem (which ends an open one).

    A named error counts whatever the status (a station may stay Available with a weak signal); Faulted or
    Unavailable without one is unavailability. Unavailable set by the CPO (ChangeAvailability) is still reported:
    the charge point cannot be used, and the recipients can acknowledge it.
    """
    if error_code and error_code != "NoError":
        return CASE_OF_ERROR.get(error_code, Case.STATION_ERROR)
    if status in ("Faulted", "Unavailable"):
        return Case.UNAVAILABILITY
    return None
