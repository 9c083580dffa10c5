"""A device's own Device Log answers the join, unjoin and read use cases as the RTDS shows them."""

from __future__ import annotations

from pathlib import Path

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import analyse
from emulator.codec.gbcs.asn1 import DeviceType, JoinMethodAndRole, asn1_type_for, decode_asn1
from emulator.devices.join_log import JOIN_LOG_CAPACITY, JoinLog, JoinResponse, Partner
from emulator.han.stack.state import MemoryStateStore, SqliteStateStore
from tests.support.rtds import rtds_bytes


def _command(name: str) -> tuple[int, object]:
    """The message code and decoded ASN.1 payload of an RTDS command."""
    apdu = analyse(rtds_bytes(name)).apdu
    assert apdu is not None
    type_name = asn1_type_for(apdu.message_code, apdu.cra)
    assert type_name is not None
    return apdu.message_code, decode_asn1(type_name, apdu.content)


def _content(name: str) -> bytes:
    apdu = analyse(rtds_bytes(name)).apdu
    assert apdu is not None
    return apdu.content


def test_rtds_joins_add_partners_and_answer_as_the_rtds_responses() -> None:
    log = JoinLog(MemoryStateStore())
    code, payload = _command("CS03A1_8.7.1_SUCCESS_COMMAND_GBCS.HEX")
    response, partner = log.command(code, payload)
    assert response == _content("CS03A1_8.7.1_SUCCESS_RESPONSE_GBCS.HEX")
    assert partner == Partner(
        Eui64("00-DB-12-34-56-78-90-9A"), DeviceType.HCALCS, JoinMethodAndRole.METHOD_A_INITIATOR
    )
    code, payload = _command("CS03B_8.7.2_SUCCESS_COMMAND_GBCS.HEX")
    assert log.command(code, payload)[0] == _content("CS03B_8.7.2_SUCCESS_RESPONSE_GBCS.HEX")
    code, payload = _command("CS03CCritical_8.7.1_SUCCESS_COMMAND_GBCS.HEX")
    _, ppmid = log.command(code, payload)
    assert ppmid is not None and ppmid.device_type is DeviceType.PPMID
    assert type(ppmid.certificate) is bytes and ppmid.certificate[:2] == b"\x30\x82"
    assert len(log) == 3


def test_a_join_whose_role_does_not_fit_its_message_code_fails() -> None:
    log = JoinLog(MemoryStateStore())
    code, payload = _command("CS03A2Critical_8.7.1_SUCCESS_COMMAND_GBCS.HEX")
    response, partner = log.command(0x000D, payload)  # a responder's payload under CS03A1
    assert decode_asn1("JoinDeviceResponse", response) == JoinResponse.FAILURE
    assert partner is None and len(log) == 0
    assert log.command(code, payload)[1] is not None


def test_the_read_lists_partners_as_the_rtds_cs07_response_and_unjoin_removes() -> None:
    log = JoinLog(MemoryStateStore())
    for eui, kind in (
        ("01-02-03-04-05-06-07-08", DeviceType.GPF),
        ("00-DB-12-34-56-78-90-99", DeviceType.GPF),
        ("00-DB-12-34-56-78-90-97", DeviceType.PPMID),
    ):
        assert log.add(Partner(Eui64(eui), kind, JoinMethodAndRole.METHOD_B))
    response, _ = log.command(0x0013, None)
    assert response == _content("CS07_8.9_SUCCESS_RESPONSE_GBCS.HEX")
    code, payload = _command("CS04B_8.8.2_SUCCESS_COMMAND_GBCS.HEX")
    response, removed = log.command(code, payload)
    assert decode_asn1("UnjoinDeviceResponse", response) == JoinResponse.SUCCESS
    assert removed is not None and removed.eui64 == Eui64("01-02-03-04-05-06-07-08")
    response, removed = log.command(code, payload)  # no longer there
    assert decode_asn1("UnjoinDeviceResponse", response) == JoinResponse.FAILURE
    assert removed is None and len(log) == 2


def test_the_log_is_bounded_and_survives_a_power_cycle(tmp_path: Path) -> None:
    log = JoinLog(SqliteStateStore(tmp_path / "meter.sqlite"))
    for n in range(JOIN_LOG_CAPACITY):
        assert log.add(Partner(Eui64(n + 1), DeviceType.PPMID, JoinMethodAndRole.METHOD_C, b"c"))
    assert not log.add(Partner(Eui64(0xFF), DeviceType.PPMID, JoinMethodAndRole.METHOD_C))
    again = JoinLog(SqliteStateStore(tmp_path / "meter.sqlite"))
    assert list(again) == list(log)
