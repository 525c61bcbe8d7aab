"""A command's outcome in words: what the station's answer means for the person who sent the command, per command
and answer (OCPP 1.6 reply statuses and data), instead of the reply's JSON. The portal translates the messages;
the REST API keeps the reply as it came.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.commands.catalogue import CommandStatus
from core.errors import Message

M = Message

# (command, the station's reply status) -> what it means.
_BY_ANSWER: dict[tuple[str, str], Message] = {
    ("RemoteStartTransaction", "Accepted"): M(
        "The station accepted the remote start: charging begins once the car is connected."
    ),
    ("RemoteStartTransaction", "Rejected"): M(
        "The station refused the remote start (the charge point may be occupied, reserved or out of order)."
    ),
    ("RemoteStopTransaction", "Accepted"): M("The station is stopping the session."),
    ("RemoteStopTransaction", "Rejected"): M("The station refused to stop the session (it may have ended already)."),
    ("UnlockConnector", "Unlocked"): M("The connector was unlocked."),
    ("UnlockConnector", "UnlockFailed"): M("The station could not unlock the connector."),
    ("UnlockConnector", "NotSupported"): M("This charge point has no lock the station can release."),
    ("Reset", "Accepted"): M("The station restarts and connects again shortly."),
    ("Reset", "Rejected"): M("The station refused to restart."),
    ("ChangeAvailability", "Accepted"): M("The availability was changed."),
    ("ChangeAvailability", "Scheduled"): M("The availability changes once the running session has ended."),
    ("ChangeAvailability", "Rejected"): M("The station refused to change the availability."),
    ("ChangeConfiguration", "Accepted"): M("The station took the new value."),
    ("ChangeConfiguration", "RebootRequired"): M("The station took the new value; it applies after a restart."),
    ("ChangeConfiguration", "Rejected"): M("The station refused the new value."),
    ("ChangeConfiguration", "NotSupported"): M("The station does not know this key."),
    ("ClearCache", "Accepted"): M("The station cleared its authorization cache."),
    ("ClearCache", "Rejected"): M("The station refused to clear its authorization cache."),
    ("TriggerMessage", "Accepted"): M("The station sends the requested message."),
    ("TriggerMessage", "Rejected"): M("The station refused to send the requested message."),
    ("TriggerMessage", "NotImplemented"): M("The station cannot send this message on request."),
    ("SendLocalList", "Accepted"): M("The station took the local list."),
    ("SendLocalList", "Failed"): M("The station could not store the local list."),
    ("SendLocalList", "NotSupported"): M("The station has no local list."),
    ("SendLocalList", "VersionMismatch"): M("The station's list version does not fit this update: send the full list."),
    ("ReserveNow", "Accepted"): M("The charge point is reserved."),
    ("ReserveNow", "Occupied"): M("The charge point is occupied: it was not reserved."),
    ("ReserveNow", "Faulted"): M("The charge point is out of order: it was not reserved."),
    ("ReserveNow", "Unavailable"): M("The charge point is not available: it was not reserved."),
    ("ReserveNow", "Rejected"): M("The station refused the reservation."),
    ("CancelReservation", "Accepted"): M("The reservation was cancelled."),
    ("CancelReservation", "Rejected"): M("The station knows no such reservation."),
    ("SetChargingProfile", "Accepted"): M("The station applies the charging profile."),
    ("SetChargingProfile", "Rejected"): M("The station refused the charging profile."),
    ("SetChargingProfile", "NotSupported"): M("The station does not support charging profiles."),
    ("ClearChargingProfile", "Accepted"): M("The station removed the charging profile."),
    ("ClearChargingProfile", "Unknown"): M("The station has no such charging profile."),
    ("GetCompositeSchedule", "Accepted"): M("The station sent its charging schedule."),
    ("GetCompositeSchedule", "Rejected"): M("The station refused to send its charging schedule."),
    ("DataTransfer", "Accepted"): M("The station accepted the data."),
    ("DataTransfer", "Rejected"): M("The station refused the data."),
    ("DataTransfer", "UnknownMessageId"): M("The station does not know this message id."),
    ("DataTransfer", "UnknownVendorId"): M("The station does not know this vendor id."),
}  # fmt: skip

# What the record's status says when the station's answer has no status of its own, or none came.
_BY_STATUS: dict[str, Message] = {
    CommandStatus.PENDING: M("Waiting for the station's answer."),
    CommandStatus.ACCEPTED: M("The station carried out the command."),
    CommandStatus.REJECTED: M("The station refused the command."),
    CommandStatus.FAILED: M("The command failed."),
    CommandStatus.TIMEOUT: M("The station did not answer in time."),
    CommandStatus.OFFLINE: M("The station is not connected."),
}

# OCPP CALLERROR codes.
_ERRORS: dict[str, Message] = {
    "NotImplemented": M("the station does not know this command"),
    "NotSupported": M("the station does not support this command"),
    "InternalError": M("an internal error of the station"),
    "ProtocolError": M("the station could not read the command"),
    "SecurityError": M("the station refused it for security reasons"),
    "FormationViolation": M("the station could not read the command"),
    "PropertyConstraintViolation": M("the station found a value it does not accept"),
    "OccurenceConstraintViolation": M("the station missed or did not expect a value"),
    "TypeConstraintViolation": M("the station found a value of the wrong type"),
    "GenericError": M("an error of the station"),
}


def _data_outcome(action: str, reply: Mapping[str, Any]) -> list[Message]:
    """Answers that carry data instead of (or besides) a status."""
    if action == "GetConfiguration":
        known, unknown = reply.get("configurationKey") or [], reply.get("unknownKey") or []
        said = [M("The station sent %(n)s parameters.", {"n": len(known)})]
        if unknown:
            said.append(M("Keys the station does not know: %(keys)s", {"keys": ", ".join(map(str, unknown))}))
        return said
    if action == "GetDiagnostics":
        if reply.get("fileName"):
            return [M("The station uploads the file %(name)s.", {"name": reply["fileName"]})]
        return [M("The station has no diagnostics to upload.")]
    if action == "GetLocalListVersion":
        version = reply.get("listVersion")
        if version == -1:
            return [M("The station has no local list.")]
        if version == 0:
            return [M("The station's local list is empty.")]
        return [M("The station's local list has version %(version)s.", {"version": version})]
    if action == "UpdateFirmware":
        return [M("The station received the firmware update; it reports its progress as firmware status.")]
    return []


def command_outcome(record: Mapping[str, Any]) -> list[Message]:
    """What a command record (``action``, ``status``, ``result``: the station's reply, ``message``) means, as
    sentences for the person who sent it: one per fact, most important first."""
    action, status = str(record.get("action") or ""), str(record.get("status") or "")
    reply: Mapping[str, Any] = record.get("result") or {}
    if status == CommandStatus.FAILED and reply.get("errorCode"):
        reason = _ERRORS.get(str(reply["errorCode"]), _ERRORS["GenericError"])
        said = [M("The station answered with an error: %(reason)s.", {"reason": reason})]
        if reply.get("description"):
            said.append(M("The station's description: %(text)s", {"text": reply["description"]}))
        return said
    if status in (CommandStatus.ACCEPTED, CommandStatus.REJECTED):
        answer = reply.get("status")
        said = [_BY_ANSWER[(action, str(answer))]] if (action, str(answer)) in _BY_ANSWER else []
        said += _data_outcome(action, reply)
        if action == "DataTransfer" and reply.get("data"):
            said.append(M("Data from the station: %(data)s", {"data": reply["data"]}))
        return said or [_BY_STATUS[status]]
    if record.get("message"):  # why it failed, timed out or was not sent, as the record says
        return [M(str(record["message"]))]
    return [_BY_STATUS.get(status, _BY_STATUS[CommandStatus.FAILED])]
