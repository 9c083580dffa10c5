"""Every RTDS 4.5.0 message decodes to the published fields, verifies, and re-encodes byte-exact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.rtds import RTDS_KEYSTORE, RTDS_MESSAGES

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import (
    CRA,
    GeneralCiphering,
    GeneralSigning,
    Verdict,
    analyse,
    decode_message,
    message_code_name,
)
from emulator.codec.gbcs.dlms import AccessRequest, AccessResponse, DataNotification
from emulator.codec.gbcs.gbz import GbzPayload
from emulator.codec.gbcs.payload import Asn1Payload, RawPayload
from emulator.pki.keystore import DirectoryKeyStore

DATA = Path(__file__).parents[2] / "data"
MESSAGES = RTDS_MESSAGES
ACB = Eui64("90B3D51F30000002")
KEYSTORE = RTDS_KEYSTORE


def by_name(m: dict[str, Any]) -> str:
    return str(m["name"]).removesuffix("_GBCS.HEX")


@pytest.fixture(params=MESSAGES, ids=by_name)
def rtds(request: pytest.FixtureRequest) -> dict[str, Any]:
    return request.param  # type: ignore[no-any-return]


def test_there_are_53_messages() -> None:
    assert len(MESSAGES) == 53


def test_header_fields(rtds: dict[str, Any]) -> None:
    raw = bytes.fromhex(rtds["hex"])
    e = rtds["expected"]
    msg = decode_message(raw)
    assert isinstance(msg, GeneralCiphering) == e["mac_header"]
    apdu = msg.apdu if isinstance(msg, GeneralCiphering) else msg
    assert isinstance(apdu, GeneralSigning)
    assert apdu.cra == CRA(e["cra"])
    assert apdu.originator_counter == e["originator_counter"]
    assert apdu.originator == Eui64(e["originator"])
    assert apdu.recipient == Eui64(e["recipient"])
    assert apdu.date_time == (None if e["date_time"] is None else bytes.fromhex(e["date_time"]))
    other = apdu.other_information
    assert other.message_code == e["message_code"]
    expected_party = e["supplementary_remote_party_id"]
    assert other.supplementary_remote_party_id == (
        None if expected_party is None else Eui64(expected_party)
    )
    assert other.supplementary_remote_party_counter == e["supplementary_remote_party_counter"]
    assert len(apdu.content) == e["content_length"]
    if e["signature_length"] is None:
        assert apdu.signature is None
    else:
        assert apdu.signature is not None and len(apdu.signature) == e["signature_length"]
    if e["mac"] is not None:
        assert isinstance(msg, GeneralCiphering)
        assert msg.mac == bytes.fromhex(e["mac"])


def test_message_code_names_match_the_spec_lists(rtds: dict[str, Any]) -> None:
    e = rtds["expected"]
    assert message_code_name(e["message_code"]) == e["message_code_name"]


def test_verdicts(rtds: dict[str, Any]) -> None:
    e = rtds["expected"]
    a = analyse(bytes.fromhex(rtds["hex"]), KEYSTORE, ACB)
    expected_mac = Verdict.VALID if e["mac_verdict"] == "valid" else Verdict.ABSENT
    assert a.mac is expected_mac
    if e["signature_valid"] is None:
        assert a.signature is Verdict.ABSENT
    else:
        assert a.signature is (Verdict.VALID if e["signature_valid"] else Verdict.INVALID)


def test_reencodes_byte_exact(rtds: dict[str, Any]) -> None:
    raw = bytes.fromhex(rtds["hex"])
    assert decode_message(raw).encode() == raw
    a = analyse(raw, KEYSTORE, ACB)
    assert a.payload_error is None
    assert a.payload is not None and not isinstance(a.payload, RawPayload)
    apdu = a.apdu
    assert apdu is not None
    assert a.payload.encode() == apdu.content
    assert a.reencoded_equal


def _payload_rows(rtds: dict[str, Any], label: str) -> list[str]:
    rows = rtds["expected"]["payload"]
    return [row[2] for row in rows if row[1] == label or row[1].endswith(f"] {label}")]


def test_payload_fields(rtds: dict[str, Any]) -> None:
    """The decoded payload carries the fields the published decode shows."""
    a = analyse(bytes.fromhex(rtds["hex"]), KEYSTORE, ACB)
    p = a.payload
    rows = rtds["expected"]["payload"]
    first = rows[0][1]
    if isinstance(p, AccessRequest):
        assert first == "DLMS Access Request"
        assert [f"{s.descriptor.class_id:04X}" for s in p.specifications] == _payload_rows(
            rtds, "Class Id"
        )
        assert [s.descriptor.instance_id.hex().upper() for s in p.specifications] == (
            _payload_rows(rtds, "Instance Id")
        )
        assert [f"{s.kind:02X}" for s in p.specifications] == _payload_rows(
            rtds, "Access Request Specification"
        )
    elif isinstance(p, AccessResponse):
        assert first == "DLMS Access Response"
        assert [f"{r.kind:02X}" for r in p.results] == _payload_rows(
            rtds, "Access Response Specification"
        )
        results = _payload_rows(rtds, "Data Access Result") + _payload_rows(rtds, "Action Result")
        assert sorted(f"{r.result:02X}" for r in p.results) == sorted(results)
    elif isinstance(p, DataNotification):
        assert first == "DLMS Data Notification"
        code = _payload_rows(rtds, "Alert Code")[0]
        assert p.alert_code == int(code[-4:], 16)
    elif isinstance(p, GbzPayload):
        assert first == "Profile ID"
        alert_codes = _payload_rows(rtds, "Alert Code")  # the published decode says if an alert
        if alert_codes:
            assert p.alert_code == int(alert_codes[0], 16)
        else:
            assert p.alert_code is None
            assert len(p.components) == int(_payload_rows(rtds, "Number of GBZ components")[0], 16)
    else:
        assert isinstance(p, Asn1Payload)
        # every primitive the published decode shows appears, in order, in our DER
        der = p.encode().hex().upper()
        pos = 0
        for row in rows:
            if row[2] and len(row[2]) >= 6 and not row[2].startswith("30"):
                found = der.find(row[2], pos)
                assert found >= 0, row
                pos = found


def test_encrypted_payload_decrypts_to_the_published_plaintext() -> None:
    (m,) = [m for m in MESSAGES if m["expected"]["decrypted_payload"]]
    a = analyse(bytes.fromhex(m["hex"]), KEYSTORE, ACB)
    assert a.decrypted == (bytes.fromhex(m["expected"]["decrypted_payload"]),)


def test_command_mac_needs_the_acb() -> None:
    (m,) = [m for m in MESSAGES if m["name"] == "CCS01_8.11_SUCCESS_COMMAND_GBCS.HEX"]
    raw = bytes.fromhex(m["hex"])
    assert analyse(raw, KEYSTORE, None).mac is Verdict.UNKNOWN_KEY
    assert analyse(raw, None, ACB).mac is Verdict.UNKNOWN_KEY
    assert analyse(raw, KEYSTORE, ACB).mac is Verdict.VALID


def test_response_mac_and_signatures_need_no_acb() -> None:
    for m in MESSAGES:
        a = analyse(bytes.fromhex(m["hex"]), KEYSTORE, None)
        if a.cra is not CRA.COMMAND and m["expected"]["mac_header"]:
            assert a.mac is Verdict.VALID, m["name"]
        if m["expected"]["signature_valid"]:
            assert a.signature is Verdict.VALID, m["name"]


def test_unknown_keys_are_reported_as_such() -> None:
    empty = DirectoryKeyStore(DATA / "gbcs")  # a directory without keys
    for m in MESSAGES:
        e = m["expected"]
        a = analyse(bytes.fromhex(m["hex"]), empty, ACB)
        assert a.mac is (Verdict.UNKNOWN_KEY if e["mac_header"] else Verdict.ABSENT), m["name"]
        expected_signature = Verdict.ABSENT if e["signature_valid"] is None else Verdict.UNKNOWN_KEY
        assert a.signature is expected_signature, m["name"]
