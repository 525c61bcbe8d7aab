"""OCPP-J framing: parse a frame, validate a CALL against the version's JSON schema, dispatch, answer.

A dispatch table (action -> compiled validator + handler) replaces the ``ocpp`` library's
``ChargePoint.route_message``: frames are decoded by msgspec (within core.safejson's depth limit) and validated
by schemas compiled once with fastjsonschema, which is what makes MeterValues handling an order of magnitude
faster than the stock route. Bad input never raises out of here: it becomes the matching CALLERROR and the
connection stays up (docs/ocpp.md, "Frames csms refuses").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

import fastjsonschema
import msgspec

from core import safejson
from core.charging import payload_values

if TYPE_CHECKING:
    from ocpp_cs.connection import StationConnection

log = logging.getLogger("csms.ocpp")

CALL, CALLRESULT, CALLERROR = 2, 3, 4

_encode = msgspec.json.encode

Handler = Callable[["StationConnection", dict[str, Any]], Awaitable[dict[str, Any]]]
Validator = Callable[[Any], Any]


class FrameError(Exception):
    """A frame the CSMS answers with a CALLERROR."""

    def __init__(self, code: str, description: str, unique_id: str = "-1", details: Any = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.unique_id = unique_id
        self.details = details if details is not None else {}


# OCPP 1.6 spells two codes differently from 2.0.1; a protocol names its own.
ERRORS_16 = {
    "formation": "FormationViolation",
    "occurrence": "OccurenceConstraintViolation",
    "property": "PropertyConstraintViolation",
    "type": "TypeConstraintViolation",
}

# fastjsonschema rule -> kind of violation
_RULE_KIND = {
    "type": "type",
    "required": "occurrence",
    "minItems": "occurrence",
    "maxItems": "occurrence",
    "uniqueItems": "occurrence",
    "additionalProperties": "formation",
    "properties": "formation",
}


@dataclass
class Protocol:
    """One OCPP version: websocket subprotocol name, error spellings, schemas, station->CSMS handlers."""

    subprotocol: str
    schema_package: str
    errors: dict[str, str]
    handlers: dict[str, Handler] = field(default_factory=dict)
    _validators: dict[str, Validator] = field(default_factory=dict)

    def validator(self, action: str) -> Validator | None:
        found = self._validators.get(action)
        if found is None:
            try:
                text = resources.files(self.schema_package).joinpath(f"{action}.json").read_text()
            except (FileNotFoundError, OSError):
                return None
            found = fastjsonschema.compile(json.loads(text))
            self._validators[action] = found
        return found

    def compile_all(self) -> None:
        """Compile every handled action's schema up front (start-up, not on the first frame)."""
        for action in self.handlers:
            if self.validator(action) is None:
                raise RuntimeError(f"no schema for {self.subprotocol} {action}")


def schema_error(protocol: Protocol, exc: fastjsonschema.JsonSchemaValueException) -> tuple[str, str]:
    kind = _RULE_KIND.get(exc.rule or "", "property")
    return protocol.errors[kind], exc.message


def call_error(unique_id: str, code: str, description: str, details: Any = None) -> str:
    return _encode([CALLERROR, unique_id, code, description[:255], details or {}]).decode()


def parse(data: str | bytes, protocol: Protocol) -> list[Any]:
    """Decode and check the envelope; raises FrameError (FormationViolation) for anything malformed.

    The CALLERROR names the message id when one can be read from a CALL (or from a frame of unknown type), and
    "-1" otherwise: a CALLRESULT / CALLERROR of the station is never answered with its own id.
    """
    formation = protocol.errors["formation"]
    if not isinstance(data, str):  # a binary frame: OCPP-J messages are UTF-8 JSON, whichever frame carries them
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise FrameError(formation, "a frame must be UTF-8 encoded JSON") from None
    try:
        frame = safejson.loads(data)
    except ValueError as exc:
        raise FrameError(formation, f"invalid JSON: {exc}") from None
    if not isinstance(frame, list) or not frame:
        raise FrameError(formation, "a frame is a JSON array [type, id, ...]")
    message_type = frame[0]
    raw_id = frame[1] if len(frame) > 1 else None
    unique_id = raw_id if isinstance(raw_id, str) and 0 < len(raw_id) <= 36 else None
    known_type = type(message_type) is int and message_type in (CALL, CALLRESULT, CALLERROR)
    if len(frame) < 3:
        answer_to = unique_id if unique_id and message_type == CALL and known_type else "-1"
        raise FrameError(formation, "a frame is a JSON array [type, id, ...]", answer_to)
    if unique_id is None:
        raise FrameError(formation, "the message id must be a string of at most 36 characters")
    if not known_type:
        raise FrameError(formation, f"unknown message type id {message_type!r}", unique_id)
    if message_type == CALL:
        if len(frame) != 4 or not isinstance(frame[2], str):
            raise FrameError(formation, "a CALL is [2, id, action, payload]", unique_id)
        if not isinstance(frame[3], dict):
            raise FrameError(protocol.errors["type"], "the payload must be a JSON object", unique_id)
    return frame


async def handle_call(
    conn: StationConnection, protocol: Protocol, unique_id: str, action: str, payload: Any, text: str | None = None
) -> str:
    """Validate and run one station->CSMS CALL; returns the CALLRESULT or CALLERROR frame text.

    ``text`` is the frame as received: without it every payload is searched for values csms cannot keep."""
    handler = protocol.handlers.get(action)
    if handler is None:
        return call_error(unique_id, "NotImplemented", f"action {action} is not supported")
    try:
        validator = protocol.validator(action)
        if validator is not None:
            validator(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        code, description = schema_error(protocol, exc)
        return call_error(unique_id, code, description)
    except Exception:
        log.exception("%s: schema check of %s failed", conn.charge_box_id, action)
        return call_error(unique_id, "InternalError", "the central system could not check the message")
    if text is None or payload_values.may_hold_bad_value(text):
        problem = payload_values.bad_value(payload)
        if problem is not None:
            return call_error(unique_id, protocol.errors["property"], problem)
    try:
        result = await handler(conn, payload)
    except FrameError as exc:
        return call_error(unique_id, exc.code, exc.description, exc.details)
    except Exception:
        log.exception("%s: handler %s failed", conn.charge_box_id, action)
        return call_error(unique_id, "InternalError", "the central system could not process the message")
    return _encode([CALLRESULT, unique_id, result]).decode()
