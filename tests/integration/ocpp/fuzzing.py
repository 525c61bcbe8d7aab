"""Frames for the OCPP fuzz test (test_fuzz_frames.py): hypothesis strategies, and an oracle that says, for any
frame, what OCPP-J 1.6 prescribes as csms's answer (docs/ocpp.md, "Frames csms refuses").

The oracle is written apart from ocpp_cs.framing on purpose: it decodes with the stdlib ``json``, measures depth
itself, and checks payloads with the ``jsonschema`` library against the OCPP 1.6 schemas (only the RFC 3339
pattern of "date-time" is shared with fastjsonschema, since the schemas name the format without defining it).
Where several schema violations are present, any of their codes is right.
"""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from fastjsonschema.draft04 import CodeGeneratorDraft04
from hypothesis import strategies as st
from jsonschema import Draft4Validator, FormatChecker

MAX_DEPTH = 32
INT32 = (-(2**31), 2**31 - 1)
MAX_FRAME = 60_000  # bytes; csms closes the socket (1009) above 64 KiB, by design
TX_MARKER = 987_654_321_987  # replaced by the last transaction id csms gave, when the frame is sent

FORMATION, TYPE, OCCURRENCE, PROPERTY = (
    "FormationViolation", "TypeConstraintViolation", "OccurenceConstraintViolation", "PropertyConstraintViolation"
)  # fmt: skip
CODE_OF_RULE = {
    "type": TYPE,
    "required": OCCURRENCE,
    "minItems": OCCURRENCE,
    "maxItems": OCCURRENCE,
    "uniqueItems": OCCURRENCE,
    "additionalProperties": FORMATION,
}

ACTIONS = (
    "BootNotification", "Heartbeat", "StatusNotification", "Authorize", "StartTransaction", "StopTransaction",
    "MeterValues", "DataTransfer", "DiagnosticsStatusNotification", "FirmwareStatusNotification",
)  # fmt: skip
# Station -> CSMS actions of OCPP 1.6 that csms does not handle, and plain nonsense.
UNHANDLED = ("SignCertificate", "SecurityEventNotification", "LogStatusNotification", "Reset", "", "heartbeat")

_DATE_TIME = re.compile(CodeGeneratorDraft04.FORMAT_REGEXS["date-time"])
_CHECKER = FormatChecker(formats=())
_CHECKER.checks("date-time")(lambda value: not isinstance(value, str) or _DATE_TIME.match(value) is not None)


def _validator(name: str) -> Draft4Validator:
    text = resources.files("ocpp.v16.schemas").joinpath(f"{name}.json").read_text()
    return Draft4Validator(json.loads(text), format_checker=_CHECKER)


REQUESTS = {action: _validator(action) for action in ACTIONS}
RESPONSES = {action: _validator(f"{action}Response") for action in ACTIONS}


@dataclass(frozen=True)
class Expect:
    """``kind``: "none" (a station's CALLRESULT / CALLERROR: csms answers nothing), "result" or "error"."""

    kind: str
    unique_id: str = "-1"
    codes: frozenset[str] = field(default_factory=frozenset)
    action: str = ""


def _error(unique_id: str, *codes: str) -> Expect:
    return Expect("error", unique_id, frozenset(codes))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decodable_int(text: str) -> int:
    if len(text) > 4300:  # msgspec's limit (sign included) on an integer's text: the frame cannot be decoded
        raise ValueError("integer out of range")
    return int(text)


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("number out of range")
    return value


def _walk(value: Any) -> Any:
    """Every value inside ``value`` (dict keys included), without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape
        return False
    return True


def _unstorable(payload: Any) -> bool:
    """An integer beyond 32 bits or a string with NUL: right type, value csms cannot keep."""
    for item in _walk(payload):
        if isinstance(item, int) and not isinstance(item, bool) and not INT32[0] <= item <= INT32[1]:
            return True
        if isinstance(item, str) and "\x00" in item:
            return True
    return False


def expect(frame: str | bytes) -> Expect:
    """What csms must answer to ``frame``."""
    if isinstance(frame, bytes):
        try:
            frame = frame.decode("utf-8")
        except UnicodeDecodeError:
            return _error("-1", FORMATION)
    try:
        value = json.loads(frame, parse_constant=_refuse_constant, parse_float=_finite, parse_int=_decodable_int)
    except (ValueError, RecursionError):
        return _error("-1", FORMATION)
    if _depth(value) > MAX_DEPTH or not all(_utf8(s) for s in _walk(value) if isinstance(s, str)):
        return _error("-1", FORMATION)
    if not isinstance(value, list) or not value:
        return _error("-1", FORMATION)
    message_type = value[0]
    raw_id = value[1] if len(value) > 1 else None
    unique_id = raw_id if isinstance(raw_id, str) and 0 < len(raw_id) <= 36 else None
    known = type(message_type) is int and message_type in (2, 3, 4)
    if len(value) < 3:
        return _error(unique_id if unique_id and known and message_type == 2 else "-1", FORMATION)
    if unique_id is None:
        return _error("-1", FORMATION)
    if not known:
        return _error(unique_id, FORMATION)
    if message_type != 2:
        return Expect("none")
    if len(value) != 4 or not isinstance(value[2], str):
        return _error(unique_id, FORMATION)
    action, payload = value[2], value[3]
    if not isinstance(payload, dict):
        return _error(unique_id, TYPE)
    if action not in REQUESTS:
        return _error(unique_id, "NotImplemented")
    violations = list(REQUESTS[action].iter_errors(payload))
    if violations:
        return _error(unique_id, *{CODE_OF_RULE.get(str(v.validator), PROPERTY) for v in violations})
    if _unstorable(payload):
        return _error(unique_id, PROPERTY)
    return Expect("result", unique_id, action=action)


def mismatch(wanted: Expect, reply_text: str) -> str | None:
    """Why ``reply_text`` is not the answer ``wanted``, or None when it is."""
    try:
        reply = json.loads(reply_text)
    except ValueError:
        return "the reply is not JSON"
    if wanted.kind == "error":
        ok = (
            isinstance(reply, list) and len(reply) == 5 and reply[0] == 4 and reply[1] == wanted.unique_id
            and reply[2] in wanted.codes and isinstance(reply[3], str) and isinstance(reply[4], dict)
        )  # fmt: skip
        return None if ok else f"expected CALLERROR {sorted(wanted.codes)} for id {wanted.unique_id!r}"
    if not (isinstance(reply, list) and len(reply) == 3 and reply[0] == 3 and reply[1] == wanted.unique_id):
        return f"expected the CALLRESULT of {wanted.action} for id {wanted.unique_id!r}"
    problems = [v.message for v in RESPONSES[wanted.action].iter_errors(reply[2])]
    return f"the CALLRESULT breaks its schema: {problems[0]}" if problems else None


# --- frames ------------------------------------------------------------------------------------------------
# Hypothesis draws one recipe number per frame; the frame is built from it by plain ``random``. Drawing every
# character through hypothesis cost about 5 ms a frame on the shared CI machine, this well under 1 ms, which is
# what makes 10,000 frames a run affordable. Shrinking still works: towards fewer frames and smaller numbers (the
# first kinds, size 0: short strings, flat values); a failing number rebuilds the same frame.

BOUNDARY_INTS = (
    0, -1, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 2**53 + 1, 2**63, -(2**63) - 1, 2**64, 2**70, -(2**70)
)  # fmt: skip
# Mostly ASCII; then what breaks storage and display: NUL and other controls, BOM, bidi override, zero width,
# quotes and backslashes, characters beyond the BMP.
ALPHABET = (
    "abcdefxyzABCXYZ0123456789 -_.:+*" * 4
    + '"\\/{}[],'
    + "\x00\x01\x1f\x7f\u00e4\u00df\u20ac\u202e\u200b\ufeff\U0001F600"
)
ODD_NUMBERS = ("1e400", "-1E+999", "NaN", "Infinity", "1" * 4301, "-" + "9" * 4299, "1.0", "1e2", "-0", "0.5", "2e9")
STAMPS = (
    "2026-11-02T08:00:00Z", "2026-11-02T08:00:00.123+02:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
    "2026-02-29T00:00:00Z", "2024-02-29T12:00:60Z", "yesterday", "", "2026-11-02 08:00:00", "2026-13-01T00:00:00Z",
)  # fmt: skip
METER_READINGS = ("1.5", "1200", "0", "-3", "Infinity", "NaN", "sNaN", "1e30", "9" * 25, "0A1B2C", "x", "")


class Frames:
    """Builds one frame from a random source; ``size`` (0..10) bounds lengths, depths and how odd values get."""

    def __init__(self, seed: int, size: int) -> None:
        self.rng = random.Random(seed)
        self.size = size

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def text(self, most: int = 24) -> str:
        return "".join(self.rng.choice(ALPHABET) for _ in range(self.rng.randint(0, min(most, 2 + 3 * self.size))))

    def integer(self) -> int:
        pick = self.rng.randrange(4)
        if pick == 0:
            return self.rng.randint(-5, 5)
        if pick == 1:
            return self.rng.randint(*INT32)
        if pick == 2:
            return self.rng.choice(BOUNDARY_INTS)
        digits = self.rng.randint(1, 1 + 30 * self.size)
        return self.rng.choice((1, -1)) * self.rng.randint(10 ** (digits - 1), 10**digits)

    def scalar(self) -> Any:
        pick = self.rng.randrange(6)
        if pick == 0:
            return self.rng.choice((None, True, False))
        if pick in (1, 2):
            return self.integer()
        if pick == 3:
            return self.rng.choice((0.5, -0.0, 1e300, 2.0**70, 1.0, self.rng.uniform(-1e9, 1e9)))
        return self.text()

    def value(self, depth: int = 0) -> Any:
        if depth >= 1 + self.size // 2 or self.chance(0.5):
            return self.scalar()
        width = self.rng.randint(0, 1 + self.size // 2)
        if self.chance(0.5):
            return [self.value(depth + 1) for _ in range(width)]
        return {self.text(8): self.value(depth + 1) for _ in range(width)}

    def unique_id(self) -> Any:
        if self.chance(0.9):
            return self.text(36) or "1"
        return self.rng.choice(("", "x" * 37, "-1", "\x00", 5, None, ["id"], "\U0001F600" * 36))

    def stamp(self) -> str:
        if self.chance(0.7):
            moment = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=self.rng.randint(0, 3_000_000_000))
            return moment.isoformat().replace("+00:00", "Z")
        return self.rng.choice(STAMPS)

    def id_tag(self) -> str:
        return "".join(self.rng.choice("0123456789ABCDEF") for _ in range(self.rng.randint(1, 20)))

    def connector(self) -> int:
        return self.rng.choice((0, 1, 1, 2, 2, 3, -1, 99, 2**31 - 1))

    def transaction(self) -> int:
        return TX_MARKER if self.chance(0.7) else self.rng.randint(1, 2**31 - 1)

    def optional(self, payload: dict[str, Any], **values: Any) -> dict[str, Any]:
        payload.update({key: value for key, value in values.items() if self.chance(0.5)})
        return payload

    def meter_value(self) -> dict[str, Any]:
        sampled = [
            self.optional(
                {"value": self.rng.choice(METER_READINGS)},
                unit=self.rng.choice(("Wh", "kWh", "W", "A", "Percent")),
                measurand=self.rng.choice(("Energy.Active.Import.Register", "Power.Active.Import", "Voltage", "SoC")),
                context=self.rng.choice(("Sample.Periodic", "Transaction.End")),
                format=self.rng.choice(("Raw", "SignedData")),
                phase=self.rng.choice(("L1", "L1-N")),
            )
            for _ in range(self.rng.randint(1, 4))
        ]
        return {"timestamp": self.stamp(), "sampledValue": sampled}

    def payload(self, action: str) -> dict[str, Any]:
        """A payload the action's schema accepts (its values may still be ones csms cannot keep)."""
        r = self.rng
        if action == "BootNotification":
            return self.optional({"chargePointVendor": self.text(20), "chargePointModel": self.text(20)},
                                 firmwareVersion=self.text(50), iccid=self.text(20), meterSerialNumber=self.text(25))
        if action == "StatusNotification":
            return self.optional(
                {"connectorId": self.connector(), "errorCode": r.choice(("NoError", "GroundFailure", "OtherError")),
                 "status": r.choice(("Available", "Preparing", "Charging", "SuspendedEV", "Faulted", "Unavailable"))},
                info=self.text(50), timestamp=self.stamp(), vendorErrorCode=self.text(50),
            )
        if action == "Authorize":
            return {"idTag": self.id_tag()}
        if action == "StartTransaction":
            return self.optional({"connectorId": self.connector(), "idTag": self.id_tag(),
                                  "meterStart": r.randint(0, 10**9), "timestamp": self.stamp()},
                                 reservationId=r.randint(0, 1000))
        if action == "StopTransaction":
            return self.optional({"transactionId": self.transaction(), "meterStop": r.randint(0, 10**9),
                                  "timestamp": self.stamp()},
                                 idTag=self.id_tag(), reason=r.choice(("Local", "EVDisconnected", "Other")),
                                 transactionData=[self.meter_value() for _ in range(r.randint(0, 2))])
        if action == "MeterValues":
            return self.optional({"connectorId": self.connector(),
                                  "meterValue": [self.meter_value() for _ in range(r.randint(1, 3))]},
                                 transactionId=self.transaction())
        if action == "DataTransfer":
            return self.optional({"vendorId": self.text(30)}, messageId=self.text(50), data=self.text(80))
        if action == "DiagnosticsStatusNotification":
            return {"status": r.choice(("Idle", "Uploaded", "UploadFailed", "Uploading", "Busy"))}
        if action == "FirmwareStatusNotification":
            return {"status": r.choice(("Downloaded", "Installing", "Installed", "Idle", "Broken"))}
        return {}  # Heartbeat

    def mutate(self, payload: dict[str, Any]) -> dict[str, Any]:
        """One thing changed: a value replaced (often by a boundary integer), a key dropped or one added."""
        container = _at(payload, self.rng.choice(_containers(payload)))
        keys = list(container) if isinstance(container, dict) else list(range(len(container)))
        how = self.rng.choice(("replace", "replace", "boundary", "drop", "add"))
        if how == "add" or not keys:
            if isinstance(container, dict):
                container[self.text(12)] = self.value()
            else:
                container.append(self.value())
        elif how == "drop":
            del container[self.rng.choice(keys)]
        else:
            new = self.rng.choice(BOUNDARY_INTS) if how == "boundary" else self.value()
            container[self.rng.choice(keys)] = new
        return payload

    def nested(self) -> str:
        depth = MAX_DEPTH + self.rng.choice((-1, 0, 1)) if self.size == 0 else self.rng.randint(30, 2_900 * self.size)
        if self.chance(0.3):
            depth = min(depth, 11_000)
            return '{"a":' * depth + "1" + "}" * depth
        return "[" * depth + "]" * depth

    def call(self, action: str, payload: Any) -> str:
        return json.dumps([2, self.unique_id(), action, payload], ensure_ascii=self.chance(0.5))

    # The kinds of frame, in the order shrinking prefers.

    def valid(self) -> str:
        action = self.rng.choice(ACTIONS)
        return self.call(action, self.payload(action))

    def mutated(self) -> str:
        action = self.rng.choice(ACTIONS)
        return self.call(action, self.mutate(self.payload(action)))

    def envelope(self) -> str:
        if self.chance(0.5):
            odd = (2, 3, 4, 0, 5, -1, "2", 2.0, True)
            return json.dumps([self.value() if self.chance(0.5) else self.rng.choice(odd)
                               for _ in range(self.rng.randint(0, 6))])  # fmt: skip
        action = self.rng.choice(ACTIONS + UNHANDLED) if self.chance(0.7) else self.value()
        return json.dumps([self.rng.choice((2, 3, 4)), self.unique_id(), action, self.value()])

    def number(self) -> str:
        payload = {"connectorId": 1, "idTag": "AB", "meterStart": "@", "timestamp": "2026-11-02T08:00:00Z"}
        return self.call("StartTransaction", payload).replace('"@"', self.rng.choice(ODD_NUMBERS))

    def deep(self) -> str:
        if self.chance(0.5):
            return self.nested()
        return self.call("DataTransfer", {"vendorId": "x", "data": "@"}).replace('"@"', self.nested())

    def garbage(self) -> str:
        if self.chance(0.3):
            return self.text(200)
        text = self.valid()
        return text[: self.rng.randint(0, len(text))]

    def surrogate(self) -> str:
        return self.call("Authorize", {"idTag": "@"}).replace('"@"', '"\\ud800"')

    def binary(self) -> bytes:
        pick = self.rng.randrange(3)
        if pick == 0:
            return self.valid().encode()
        if pick == 1:
            return self.rng.randbytes(self.rng.randint(0, 200))
        return self.mutated().encode() + b"\xff"


# Weighted: mutated payloads of real actions most, then envelopes, valid calls, the rest.
KINDS = ("valid", "mutated", "mutated", "mutated", "envelope", "envelope", "number", "deep", "garbage", "surrogate",
         "binary")  # fmt: skip


def build(recipe: int) -> str | bytes:
    """The frame of one recipe number: its kind, size and random seed all come from it, so shrinking the number
    towards 0 makes the frame a plainer one (a valid call, size 0)."""
    kind, size = KINDS[recipe % len(KINDS)], recipe // len(KINDS) % 11
    frame: str | bytes = getattr(Frames(recipe, size), kind)()
    return frame if len(frame if isinstance(frame, bytes) else frame.encode()) <= MAX_FRAME else frame[:MAX_FRAME // 4]


frames = st.integers(0, 2**40).map(build)


def _containers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every dict and list inside a payload (the payload itself first)."""
    found = [path]
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        if isinstance(child, dict | list):
            found.extend(_containers(child, (*path, key)))
    return found


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value
