"""OCMF parsing and signature verification (core.eichrecht.ocmf) with keys made here and one real meter's document."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from core.eichrecht import ocmf
from core.eichrecht.ocmf import Problem, SignatureStatus
from tests.ocmf_signing import payload, public_hex, sign

# A KEBA KCP30 document and its meter's key, from the test resources of the S.A.F.E. e.V. Transparenzsoftware
# (test_ocmf_keba_kcp30.xml): one document with begin and end reading, SA missing (so secp256r1), SE hex.
KEBA_DOCUMENT = (
    'OCMF|{"FV":"1.0","GI":"KEBA_KCP30","GS":"17619300","GV":"2.8.5","PG":"T32","IS":false,"IL":"NONE",'
    '"IF":["RFID_NONE","OCPP_NONE","ISO15118_NONE","PLMN_NONE"],"IT":"NONE","ID":"",'
    '"RD":[{"TM":"2019-08-13T10:03:15,000+0000 I","TX":"B","EF":"","ST":"G","RV":0.2596,"RI":"1-b:1.8.0",'
    '"RU":"kWh"},{"TM":"2019-08-13T10:03:36,000+0000 R","TX":"E","EF":"","ST":"G","RV":0.2597,"RI":"1-b:1.8.0",'
    '"RU":"kWh"}]}|{"SD":"304502200E2F107C987A300AC1695CA89EA149A8CDFA16188AF0A33EE64B67964AA943F9022100889A72B6D'
    '65364BEA8562E7F6A0253157ACFF84FE4929A93B5964D23C4265699"}'
)
KEBA_KEY = (
    "3059301306072A8648CE3D020106082A8648CE3D030107034200043AEEB45C392357820A58FDFB0857BD77ADA31585C61C430531DFA5"
    "3B440AFBFDD95AC887C658EA55260F808F55CA948DF235C2108A0D6DC7D4AB1A5E1A7955BE"
)


@pytest.fixture(scope="module")
def p256() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def brainpool() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.BrainpoolP256R1())


def test_real_keba_document_verifies_with_its_meter_key() -> None:
    assert ocmf.verify_text(KEBA_DOCUMENT, KEBA_KEY) is SignatureStatus.VALID
    document = ocmf.parse(KEBA_DOCUMENT)
    assert document.algorithm == ocmf.DEFAULT_ALGORITHM and document.encoding == "hex"
    assert [(r.type, r.value, r.unit, r.time_status) for r in document.readings] == [
        ("B", Decimal("0.2596"), "kWh", "I"), ("E", Decimal("0.2597"), "kWh", "R")]  # fmt: skip
    first = document.readings[0].time
    assert first is not None and first.isoformat() == "2019-08-13T10:03:15+00:00"


def test_real_keba_document_with_a_changed_reading_fails() -> None:
    tampered = KEBA_DOCUMENT.replace('"RV":0.2597', '"RV":0.2598')
    assert ocmf.verify_text(tampered, KEBA_KEY) is SignatureStatus.INVALID_SIGNATURE


@pytest.mark.parametrize(("algorithm", "encoding"), [
    ("ECDSA-secp256r1-SHA256", "hex"), ("ECDSA-secp256r1-SHA256", "base64"),
    ("ECDSA-brainpool256r1-SHA256", "hex"), ("ECDSA-brainpool256r1-SHA256", "base64"),
])  # fmt: skip
def test_signed_here_verifies_and_tampering_fails(
    p256: ec.EllipticCurvePrivateKey, brainpool: ec.EllipticCurvePrivateKey, algorithm: str, encoding: str
) -> None:
    key = brainpool if "brainpool" in algorithm else p256
    text = sign(key, payload(("B", 1.0), ("E", 2.5)), algorithm, encoding)
    assert ocmf.parse(text).encoding == encoding
    assert ocmf.verify_text(text, public_hex(key)) is SignatureStatus.VALID
    assert ocmf.verify_text(text.replace('"RV":2.5', '"RV":3.5'), public_hex(key)) is SignatureStatus.INVALID_SIGNATURE


def test_missing_algorithm_means_secp256r1(
    p256: ec.EllipticCurvePrivateKey, brainpool: ec.EllipticCurvePrivateKey
) -> None:
    assert ocmf.verify_text(sign(p256, payload(("B", 1.0))), public_hex(p256)) is SignatureStatus.VALID
    # a brainpool signature without SA is read as secp256r1: the brainpool key does not fit it
    text = sign(brainpool, payload(("B", 1.0)))
    assert ocmf.verify_text(text, public_hex(brainpool)) is SignatureStatus.INVALID_SIGNATURE


def test_wrong_key_fails(p256: ec.EllipticCurvePrivateKey) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    assert ocmf.verify_text(sign(p256, payload(("B", 1.0))), public_hex(other)) is SignatureStatus.INVALID_SIGNATURE


def test_no_key_and_unknown_algorithm(p256: ec.EllipticCurvePrivateKey) -> None:
    text = sign(p256, payload(("B", 1.0)))
    assert ocmf.verify_text(text, None) is SignatureStatus.NO_PUBLIC_KEY
    assert ocmf.verify_text(text, "") is SignatureStatus.NO_PUBLIC_KEY
    unknown = sign(p256, payload(("B", 1.0)), "RSA-4096-SHA512")
    assert ocmf.verify_text(unknown, public_hex(p256)) is SignatureStatus.UNSUPPORTED_ALGORITHM


@pytest.mark.parametrize("text", [
    "OCMF|", "OCMF|{", 'OCMF|{"FV":"1.0"}', 'OCMF|{"FV":"1.0"}|', 'OCMF|{"FV":"1.0"}|[]',
    'OCMF|{"FV":"1.0"}|{"SA":"ECDSA-secp256r1-SHA256"}', 'OCMF|{"FV":"1.0"}|{"SD":"zz"}',
    'OCMF|{"FV":"1.0"}|{"SD":"00","SE":"base32"}', 'OCMF|{"RD":{"RV":1}}|{"SD":"3000"}',
    'OCMF|{"RD":[{"RV":"x"}]}|{"SD":"3000"}', 'OCMF|{"RD":[{"RV":1,"TM":"yesterday"}]}|{"SD":"3000"}',
    'OCMF|[1]|{"SD":"3000"}', 'OCMF|{"FV":"1.0"}x{"SD":"3000"}',
    # hostile: nesting the decoder cannot follow, a number longer than Python converts
    'OCMF|{"X":' + "[" * 5000 + "]" * 5000 + '}|{"SD":"3000"}',
    'OCMF|{"FV":"1.0"}|{"SD":' + "[" * 5000 + "]" * 5000 + "}",
    'OCMF|{"RD":[{"RV":' + "1" * 5000 + '}]}|{"SD":"3000"}', 'OCMF|{"RD":[{"RV":1E+999999999}]}|{"SD":"3000"}',
])  # fmt: skip
def test_malformed_documents(text: str) -> None:
    with pytest.raises(ocmf.OcmfError):
        ocmf.parse(text)
    assert ocmf.verify_text(text, KEBA_KEY) is SignatureStatus.MALFORMED


def test_not_ocmf() -> None:
    assert ocmf.verify_text("", KEBA_KEY) is SignatureStatus.NOT_SIGNED
    assert ocmf.verify_text("<signedMeterValue/>", KEBA_KEY) is SignatureStatus.UNSUPPORTED_FORMAT


def test_a_pipe_inside_a_value_does_not_cut_the_payload(p256: ec.EllipticCurvePrivateKey) -> None:
    body = payload(("B", 1.0)).replace('"ID":"04A1B2C3"', '"ID":"A|B"')
    assert ocmf.verify_text(sign(p256, body), public_hex(p256)) is SignatureStatus.VALID


def test_public_key_forms(p256: ec.EllipticCurvePrivateKey) -> None:
    canonical = public_hex(p256)
    der = bytes.fromhex(canonical)
    pem = p256.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    spaced = " ".join(canonical[i : i + 2] for i in range(0, len(canonical), 2)).lower()
    for form in (canonical, canonical.lower(), spaced, pem.decode(), base64.b64encode(der).decode()):
        assert ocmf.normalise_public_key(form) == canonical
    assert ocmf.normalise_public_key("  ") == ""
    assert ocmf.normalise_public_key(KEBA_KEY.lower()) == KEBA_KEY


BAD_PEM = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"


@pytest.mark.parametrize("text", ["nonsense", "3059", "00" * 91, BAD_PEM])
def test_bad_public_keys_get_a_clear_message(text: str) -> None:
    message = ocmf.check_public_key(text)
    assert message is not None and "public key" in message.msgid
    with pytest.raises(ocmf.InvalidPublicKey):
        ocmf.normalise_public_key(text)


def test_rsa_key_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    der = rsa.generate_private_key(65537, 2048).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert ocmf.check_public_key(der.hex()) is not None


# --- one session ----------------------------------------------------------------------------------------------


def test_session_with_begin_and_end_documents(p256: ec.EllipticCurvePrivateKey) -> None:
    begin = sign(p256, payload(("B", 1.0), page="T7"))
    end = sign(p256, payload(("E", 3.25), page="T8"))
    # the end document arrives twice (MeterValues and StopTransaction): counted once
    result = ocmf.check_session([begin, end, end], public_hex(p256), meter_start_wh=1000, meter_stop_wh=3250)
    assert result["status"] == "VALID"
    assert len(result["documents"]) == 2 and result["problems"] == []
    assert result["begin"]["value"] == "1.0" and result["end"]["value"] == "3.25" and result["end"]["unit"] == "kWh"
    assert Decimal(result["energy_wh"]) == Decimal("2250")
    assert result["meter"]["serial"] == "MTR-1" and result["identification"]["id"] == "04A1B2C3"
    json.dumps(result)  # stored as JSON on the CDR


def test_session_consistency_problems(p256: ec.EllipticCurvePrivateKey) -> None:
    begin = sign(p256, payload(("B", 1.0), page="T8", serial="MTR-1"))
    end = sign(p256, payload(("E", 0.5), page="T8", serial="MTR-2"))
    result = ocmf.check_session([begin, end], public_hex(p256), meter_start_wh=1000, meter_stop_wh=3000)
    assert result["status"] == "VALID"  # the signatures are fine; the content does not fit
    assert set(result["problems"]) == {Problem.END_DIFFERS, Problem.READINGS_DECREASE, Problem.METER_CHANGED,
                                       Problem.PAGINATION}  # fmt: skip
    only_begin = ocmf.check_session([begin], public_hex(p256), meter_start_wh=1000, meter_stop_wh=3000)
    assert only_begin["problems"] == [Problem.NO_END_READING]


def test_session_status_is_the_worst_document(p256: ec.EllipticCurvePrivateKey) -> None:
    good = sign(p256, payload(("B", 1.0), page="T1"))
    bad = sign(p256, payload(("E", 2.0), page="T2")).replace('"RV":2.0', '"RV":9.0')
    assert ocmf.check_session([good, bad], public_hex(p256))["status"] == "INVALID_SIGNATURE"
    assert ocmf.check_session([good, "OCMF|{"], public_hex(p256))["status"] == "MALFORMED"
    assert ocmf.check_session([good], None)["status"] == "NO_PUBLIC_KEY"
    assert ocmf.check_session([good], "not a key")["status"] == "NO_PUBLIC_KEY"
    assert ocmf.check_session([], public_hex(p256)) == {"status": "NOT_SIGNED", "documents": [], "problems": []}
    assert ocmf.check_session(["EDL40;…"], public_hex(p256))["status"] == "UNSUPPORTED_FORMAT"


def test_real_keba_session() -> None:
    result = ocmf.check_session([KEBA_DOCUMENT], KEBA_KEY, meter_start_wh=260, meter_stop_wh=260)
    assert result["status"] == "VALID" and result["problems"] == []
    assert result["meter"]["gateway_serial"] == "17619300"
    assert Decimal(result["energy_wh"]) == Decimal("0.1")
