"""Eichrecht: OCMF documents (Open Charge Metering Format, S.A.F.E. e.V.) parsed and their signatures verified.

A calibrated meter signs its readings; the station passes the text on verbatim ("OCMF|{payload}|{signature}").
The signed bytes are the payload JSON exactly as transmitted, so the payload is never re-serialised here.
The CPO stores the meter's public key on the station (hex of the DER SubjectPublicKeyInfo, as the
Transparenzsoftware and the station's label show it; PEM is accepted too).

Pure functions only: ``check_session`` turns a session's signed values and the station's key into the result a
CDR stores (status, readings, consistency problems); core.cdrs calls it when it makes or re-checks CDRs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from core import safejson
from core.errors import Message

PREFIX = "OCMF|"
# The S.A.F.E. e.V. transparency software that drivers verify OCMF data with (receipts, OCPI CDR signed_data.url).
TRANSPARENCY_SOFTWARE_URL = "https://www.safe-ev.de/de/transparenzsoftware.php"
DEFAULT_ALGORITHM = "ECDSA-secp256r1-SHA256"  # the spec's default when SA is missing
DEFAULT_ENCODING = "hex"
DER_MIME = "application/x-der"

# OCMF SA -> (curve, hash). Curves OpenSSL cannot verify (secp192k1) are left out: UNSUPPORTED_ALGORITHM.
ALGORITHMS: dict[str, tuple[type[ec.EllipticCurve], type[hashes.HashAlgorithm]]] = {
    "ECDSA-secp256r1-SHA256": (ec.SECP256R1, hashes.SHA256),
    "ECDSA-brainpool256r1-SHA256": (ec.BrainpoolP256R1, hashes.SHA256),
    "ECDSA-secp384r1-SHA256": (ec.SECP384R1, hashes.SHA256),
    "ECDSA-secp256k1-SHA256": (ec.SECP256K1, hashes.SHA256),
    "ECDSA-brainpool384r1-SHA256": (ec.BrainpoolP384R1, hashes.SHA256),
}

# TX: B begin, C charging (intermediate), X exception, T tariff change; the rest end a transaction
# (E end, L loss of power, R remote, A abort, P power failure, S suspended).
BEGIN_TYPES = frozenset("B")
END_TYPES = frozenset("ELRAPS")
ENERGY_UNITS = {"kWh": Decimal(1000), "Wh": Decimal(1)}
# The OCPP register is whole Wh while the signed reading may have finer steps: a difference below this is none.
TOLERANCE_WH = Decimal(1)
MAX_READING_DIGITS = 15  # below 1e15: in kWh still within a 64-bit Wh register


class SignatureStatus(StrEnum):
    VALID = "VALID"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    NO_PUBLIC_KEY = "NO_PUBLIC_KEY"
    UNSUPPORTED_ALGORITHM = "UNSUPPORTED_ALGORITHM"
    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"  # signed, but not OCMF (e.g. a vendor's own format)
    MALFORMED = "MALFORMED"
    NOT_SIGNED = "NOT_SIGNED"


# How bad a document's status is for the whole session: the worst one wins.
_SEVERITY = (
    SignatureStatus.INVALID_SIGNATURE,
    SignatureStatus.MALFORMED,
    SignatureStatus.UNSUPPORTED_ALGORITHM,
    SignatureStatus.UNSUPPORTED_FORMAT,
    SignatureStatus.NO_PUBLIC_KEY,
    SignatureStatus.VALID,
)


class Problem(StrEnum):
    """A consistency finding a reader of the CDR cares about; the signatures may still be valid."""

    NO_BEGIN_READING = "no_begin_reading"
    NO_END_READING = "no_end_reading"
    BEGIN_DIFFERS = "begin_differs_from_meter_start"
    END_DIFFERS = "end_differs_from_meter_stop"
    READINGS_DECREASE = "readings_decrease"
    METER_CHANGED = "meter_changed"
    PAGINATION = "pagination_not_increasing"
    METER_ERROR = "meter_error"  # ST not "G" (good) or error flags set
    TIME_UNSYNCHRONISED = "time_unsynchronised"


class OcmfError(ValueError):
    """The text is not an OCMF document we can read."""


class InvalidPublicKey(ValueError):
    """The pasted public key is not an EC key in a form we read."""


@dataclass(frozen=True)
class Reading:
    time: datetime | None
    time_status: str  # U unknown, I informative, S synchronised, R relative
    type: str  # TX
    value: Decimal
    unit: str
    obis: str  # RI
    status: str  # ST
    error_flags: str  # EF

    @property
    def wh(self) -> Decimal | None:
        factor = ENERGY_UNITS.get(self.unit)
        return self.value * factor if factor is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat() if self.time else None,
            "time_status": self.time_status,
            "type": self.type,
            "value": str(self.value),
            "unit": self.unit,
            "obis": self.obis,
            "status": self.status,
            "error_flags": self.error_flags,
        }


@dataclass(frozen=True)
class Document:
    payload_text: str  # the signed bytes, as transmitted
    payload: dict[str, Any]
    algorithm: str
    encoding: str
    mime: str
    signature: bytes
    readings: tuple[Reading, ...]

    @property
    def meter_serial(self) -> str:
        return str(self.payload.get("MS") or "")

    @property
    def pagination(self) -> str:
        return str(self.payload.get("PG") or "")

    def identification(self) -> dict[str, Any]:
        p = self.payload
        return {"status": bool(p.get("IS")), "level": p.get("IL") or "", "flags": list(p.get("IF") or []),
                "type": p.get("IT") or "", "id": p.get("ID") or ""}  # fmt: skip

    def meter(self) -> dict[str, str]:
        p = self.payload
        return {"vendor": str(p.get("MV") or ""), "model": str(p.get("MM") or ""), "serial": self.meter_serial,
                "firmware": str(p.get("MF") or ""), "gateway_id": str(p.get("GI") or ""),
                "gateway_serial": str(p.get("GS") or ""), "gateway_version": str(p.get("GV") or "")}  # fmt: skip


# --- public keys -------------------------------------------------------------------------------------------


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """An EC public key from PEM, or from hex / base64 of the DER SubjectPublicKeyInfo."""
    text = (text or "").strip()
    if not text:
        raise InvalidPublicKey("empty")
    try:
        if "BEGIN PUBLIC KEY" in text:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        else:
            compact = re.sub(r"[\s:]", "", text)
            if re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", compact):
                der = bytes.fromhex(compact)
            else:
                der = base64.b64decode(compact, validate=True)
            key = serialization.load_der_public_key(der)
    except (ValueError, UnicodeEncodeError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise InvalidPublicKey(str(exc)) from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise InvalidPublicKey("not an elliptic-curve key")
    return key


def normalise_public_key(text: str) -> str:
    """The one stored form: upper-case hex of the DER SubjectPublicKeyInfo ("" stays "")."""
    if not (text or "").strip():
        return ""
    der = load_public_key(text).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der.hex().upper()


def check_public_key(text: str) -> Message | None:
    """For the station form and API: a clear error instead of a key that can never verify anything."""
    try:
        load_public_key(text)
    except InvalidPublicKey:
        return Message(
            "Not a valid public key: paste the meter's EC public key as hex (DER, e.g. 3059301306…) or PEM."
        )
    return None


# --- parsing -------------------------------------------------------------------------------------------------


def parse(text: str) -> Document:
    """One OCMF document; the payload's end is found by decoding JSON, so a "|" inside a value is harmless."""
    if not isinstance(text, str) or not text.startswith(PREFIX):
        raise OcmfError("not an OCMF document")
    if safejson.too_deep(text):  # the stdlib decoder would raise RecursionError (a station sends this text)
        raise OcmfError(f"nested deeper than {safejson.MAX_DEPTH} levels")
    decoder = json.JSONDecoder(parse_float=Decimal)
    try:
        payload, end = decoder.raw_decode(text, len(PREFIX))
    except ValueError as exc:  # JSONDecodeError, or a number of more digits than Python converts
        raise OcmfError(f"payload is not JSON: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(payload, dict) or text[end : end + 1] != "|":
        raise OcmfError("payload must be a JSON object followed by '|'")
    try:
        signature = json.loads(text[end + 1 :], parse_float=Decimal)
    except ValueError as exc:
        raise OcmfError(f"signature is not JSON: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(signature, dict):
        raise OcmfError("signature must be a JSON object")
    encoding = str(signature.get("SE") or DEFAULT_ENCODING).lower()
    if encoding not in ("hex", "base64"):
        raise OcmfError(f"unknown signature encoding {encoding}")
    data = signature.get("SD")
    if not isinstance(data, str) or not data:
        raise OcmfError("signature data (SD) missing")
    try:
        signature_bytes = bytes.fromhex(data) if encoding == "hex" else base64.b64decode(data, validate=True)
    except (ValueError, binascii.Error):
        raise OcmfError(f"signature data is not {encoding}") from None
    return Document(
        payload_text=text[len(PREFIX) : end],
        payload=payload,
        algorithm=str(signature.get("SA") or DEFAULT_ALGORITHM),
        encoding=encoding,
        mime=str(signature.get("SM") or DER_MIME),
        signature=signature_bytes,
        readings=tuple(_reading(item) for item in _list(payload.get("RD"), "RD")),
    )


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise OcmfError(f"{name} must be a list")
    return value


def _reading(item: Any) -> Reading:
    if not isinstance(item, dict):
        raise OcmfError("a reading (RD) must be an object")
    try:
        value = Decimal(str(item.get("RV")))
    except InvalidOperation:
        raise OcmfError("reading value (RV) is not a number") from None
    if not value.is_finite():
        raise OcmfError("reading value (RV) is not a number")
    if value.adjusted() >= MAX_READING_DIGITS:  # 1E+999999999 kWh in Wh would overflow the decimal context
        raise OcmfError("reading value (RV) is out of range")
    time, time_status = _time(str(item.get("TM") or ""))
    return Reading(
        time=time, time_status=time_status, type=str(item.get("TX") or ""), value=value,
        unit=str(item.get("RU") or ""), obis=str(item.get("RI") or ""), status=str(item.get("ST") or ""),
        error_flags=str(item.get("EF") or ""),
    )  # fmt: skip


def _time(text: str) -> tuple[datetime | None, str]:
    """OCMF TM: "2019-08-13T10:03:15,000+0000 I" (ISO 8601 with a comma, then the clock's status)."""
    stamp, _, status = text.strip().partition(" ")
    if not stamp:
        return None, status
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        raise OcmfError(f"reading time (TM) {text!r} is not ISO 8601") from None
    return (parsed if parsed.tzinfo else None), status


# --- verifying ---------------------------------------------------------------------------------------------


def verify(document: Document, public_key: ec.EllipticCurvePublicKey | None) -> SignatureStatus:
    if document.algorithm not in ALGORITHMS or document.mime != DER_MIME:
        return SignatureStatus.UNSUPPORTED_ALGORITHM
    if public_key is None:
        return SignatureStatus.NO_PUBLIC_KEY
    curve, digest = ALGORITHMS[document.algorithm]
    if not isinstance(public_key.curve, curve):
        return SignatureStatus.INVALID_SIGNATURE  # the stored key is not the meter's: nothing can be valid
    try:
        public_key.verify(document.signature, document.payload_text.encode("utf-8"), ec.ECDSA(digest()))
    except InvalidSignature:
        return SignatureStatus.INVALID_SIGNATURE
    return SignatureStatus.VALID


def verify_text(text: str, public_key: str | None) -> SignatureStatus:
    """One signed value as stored, against a key as the CPO pasted it."""
    if not str(text or "").startswith(PREFIX):
        return SignatureStatus.UNSUPPORTED_FORMAT if text else SignatureStatus.NOT_SIGNED
    try:
        document = parse(text)
    except OcmfError:
        return SignatureStatus.MALFORMED
    return verify(document, _key_or_none(public_key))


def _key_or_none(text: str | None) -> ec.EllipticCurvePublicKey | None:
    """A stored key that cannot be read (checked on save, so only ever an old row) counts as no key."""
    try:
        return load_public_key(text) if text else None
    except InvalidPublicKey:
        return None


def check_session(
    signed_values: list[str],
    public_key: str | None,
    *,
    meter_start_wh: int | None = None,
    meter_stop_wh: int | None = None,
) -> dict[str, Any]:
    """The Eichrecht result of one session, as stored on its CDR.

    A session may carry one document with begin and end readings, or several (begin and end separately, plus
    intermediates); a document sent twice (MeterValues and StopTransaction) counts once. The status is the worst
    of the documents; begin and end come from the documents that could be read; ``problems`` lists what does
    not fit (a signed end that differs from the session's meter stop, pages out of order, ...).
    """
    texts = list(dict.fromkeys(v for v in signed_values if v))
    if not texts:
        return {"status": SignatureStatus.NOT_SIGNED.value, "documents": [], "problems": []}
    key = _key_or_none(public_key)
    documents: list[dict[str, Any]] = []
    parsed: list[Document] = []
    for text in texts:
        if not text.startswith(PREFIX):
            documents.append({"status": SignatureStatus.UNSUPPORTED_FORMAT.value})
            continue
        try:
            document = parse(text)
        except OcmfError as exc:
            documents.append({"status": SignatureStatus.MALFORMED.value, "error": str(exc)})
            continue
        parsed.append(document)
        documents.append({
            "status": verify(document, key).value, "algorithm": document.algorithm,
            "meter_serial": document.meter_serial, "pagination": document.pagination,
            "readings": [r.to_json() for r in document.readings],
        })  # fmt: skip
    statuses = {SignatureStatus(d["status"]) for d in documents}
    status = next(s for s in _SEVERITY if s in statuses)
    result: dict[str, Any] = {"status": status.value, "documents": documents}
    result.update(_summary(parsed, meter_start_wh, meter_stop_wh))
    return result


def _differs(reading_wh: Decimal, register_wh: int | None) -> bool:
    return register_wh is not None and abs(reading_wh - register_wh) >= TOLERANCE_WH


def _summary(documents: list[Document], meter_start_wh: int | None, meter_stop_wh: int | None) -> dict[str, Any]:
    if not documents:
        return {"problems": []}
    # (reading, Wh) of the energy registers, in the order the documents came
    energy = [(r, wh) for d in documents for r in d.readings if (wh := r.wh) is not None]
    begins = [(r, wh) for r, wh in energy if r.type in BEGIN_TYPES]
    ends = [(r, wh) for r, wh in energy if r.type in END_TYPES]
    begin = begins[0] if begins else None
    end = ends[-1] if ends else None
    problems: list[Problem] = []
    if begin is None:
        problems.append(Problem.NO_BEGIN_READING)
    elif _differs(begin[1], meter_start_wh):
        problems.append(Problem.BEGIN_DIFFERS)
    if end is None:
        problems.append(Problem.NO_END_READING)
    elif _differs(end[1], meter_stop_wh):
        problems.append(Problem.END_DIFFERS)
    values = [wh for _, wh in energy]
    if any(b < a for a, b in zip(values, values[1:], strict=False)):
        problems.append(Problem.READINGS_DECREASE)
    if len({d.meter_serial for d in documents}) > 1:
        problems.append(Problem.METER_CHANGED)
    if not _pages_increase([d.pagination for d in documents]):
        problems.append(Problem.PAGINATION)
    if any((r.status and r.status != "G") or r.error_flags for r, _ in energy):
        problems.append(Problem.METER_ERROR)
    if any(r.time_status == "U" for r, _ in energy):
        problems.append(Problem.TIME_UNSYNCHRONISED)
    first = documents[0]
    return {
        "problems": [p.value for p in problems],
        "begin": begin[0].to_json() if begin else None,
        "end": end[0].to_json() if end else None,
        "energy_wh": str(end[1] - begin[1]) if begin and end else None,
        "meter": first.meter(),
        "identification": first.identification(),
    }


def _pages_increase(pages: list[str]) -> bool:
    """PG is a prefix (T transaction, F fiscal) and a counter; per prefix the counter must rise document by document."""
    last: dict[str, int] = {}
    for page in pages:
        match = re.fullmatch(r"([A-Za-z]*)(\d+)", page)
        if not match:
            continue
        prefix, number = match.group(1), int(match.group(2))
        if prefix in last and number <= last[prefix]:
            return False
        last[prefix] = number
    return True
