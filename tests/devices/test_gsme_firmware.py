"""The GSME's GCS38 against the RTDS GCS38 command and response payloads, byte for byte."""

from __future__ import annotations

from emulator.codec.gbcs import decode_message
from emulator.codec.gbcs.gbz import decode_gbz
from emulator.codec.gbcs.message import apdu_of
from emulator.devices.gsme import DEFAULT_FIRMWARE_VERSION, read_firmware_version
from rig.dcc.firmware import gcs38_payload
from tests.support.rtds import rtds_bytes


def _content(name: str) -> bytes:
    apdu = apdu_of(decode_message(rtds_bytes(name)))
    assert apdu is not None
    return apdu.content


def test_the_dccs_gcs38_command_payload_is_the_rtds_one() -> None:
    assert gcs38_payload() == _content("GCS38_11.2_SUCCESS_COMMAND_GBCS.HEX")


def test_the_gsmes_gcs38_response_payload_is_the_rtds_one() -> None:
    command = decode_gbz(_content("GCS38_11.2_SUCCESS_COMMAND_GBCS.HEX"))
    answer = read_firmware_version(command, DEFAULT_FIRMWARE_VERSION)
    assert answer == _content("GCS38_11.2_SUCCESS_RESPONSE_GBCS.HEX")


def test_an_attribute_other_than_the_meter_id_is_unsupported() -> None:
    command = decode_gbz(gcs38_payload().replace(b"\x06\x02", b"\x00\x00"))
    component = decode_gbz(read_firmware_version(command, b"\x01\x02\x03\x04")).components[0]
    assert component.payload == b"\x00\x00\x86"
