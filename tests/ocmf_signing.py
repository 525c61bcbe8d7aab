"""OCMF documents signed with keys the tests make (for the unit tests of core.eichrecht.ocmf and the Eichrecht
integration tests)."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def public_hex(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return der.hex().upper()


def payload(*readings: tuple[str, float], serial: str = "MTR-1", page: str = "T1") -> str:
    rd = [{"TM": f"2026-11-25T10:0{i}:00,000+0000 S", "TX": tx, "RV": value, "RI": "1-b:1.8.0", "RU": "kWh",
           "EF": "", "ST": "G"} for i, (tx, value) in enumerate(readings)]  # fmt: skip
    return json.dumps({"FV": "1.0", "GI": "TEST", "GS": "GW-1", "GV": "1.0", "PG": page, "MV": "ACME",
                       "MM": "M1", "MS": serial, "IS": True, "IL": "VERIFIED", "IT": "ISO14443", "ID": "04A1B2C3",
                       "RD": rd}, separators=(",", ":"))  # fmt: skip


def sign(key: ec.EllipticCurvePrivateKey, body: str, algorithm: str | None = None, encoding: str = "hex") -> str:
    der = key.sign(body.encode(), ec.ECDSA(hashes.SHA256()))
    signature: dict[str, Any] = {"SD": der.hex() if encoding == "hex" else base64.b64encode(der).decode()}
    if algorithm:
        signature["SA"] = algorithm
    if encoding != "hex":
        signature["SE"] = encoding
    return f"OCMF|{body}|{json.dumps(signature)}"
