"""The join, unjoin, device-log-read and set-clock payload builders against the RTDS commands.

Each builder, given the inputs the RTDS 4.5.0 command was made from, gives that command's payload
byte for byte, and the RTDS payload decodes to what the builder was given.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.rtds import rtds_bytes

from emulator.codec.eui64 import Eui64
from emulator.codec.gbcs import GeneralCiphering, decode_message
from emulator.codec.gbcs.asn1 import DeviceType, JoinMethodAndRole, decode_asn1
from emulator.codec.gbcs.clock import (
    CLOCK,
    CLOCK_CLASS,
    ClockAttribute,
    ClockMethod,
    ecs70_payload,
    gcs28_payload,
)
from emulator.codec.gbcs.device_log import ACTIVE_DEVICES, CHF_DEVICE_LOG, ccs06_payload
from emulator.codec.gbcs.dlms import AccessRequest, AccessRequestKind, DataType, decode_dlms
from emulator.codec.gbcs.join import (
    join_payload,
    read_device_join_details_payload,
    unjoin_payload,
)


def content(name: str) -> bytes:
    message = decode_message(rtds_bytes(f"{name}_SUCCESS_COMMAND_GBCS.HEX"))
    assert isinstance(message, GeneralCiphering)
    return message.apdu.content


@pytest.mark.parametrize(
    ("name", "role", "other", "other_type"),
    [
        (
            "CS03A1_8.7.1",
            JoinMethodAndRole.METHOD_A_INITIATOR,
            "00DB12345678909A",
            DeviceType.HCALCS,
        ),
        (
            "CS03A2Critical_8.7.1",
            JoinMethodAndRole.METHOD_A_RESPONDER,
            "00DB123456789093",
            DeviceType.ESME,
        ),
        ("CS03B_8.7.2", JoinMethodAndRole.METHOD_B, "00DB12345678909C", DeviceType.GPF),
    ],
)
def test_join_payloads(
    name: str, role: JoinMethodAndRole, other: str, other_type: DeviceType
) -> None:
    assert join_payload(role, Eui64(other), other_type) == content(name)


def test_method_c_join_carries_the_certificate() -> None:
    rtds = content("CS03CCritical_8.7.1")
    value = decode_asn1("JoinDeviceCommand", rtds)
    assert value["joinMethodAndRole"] == JoinMethodAndRole.METHOD_C
    built = join_payload(
        JoinMethodAndRole.METHOD_C,
        Eui64("00DB123456789098"),
        DeviceType.PPMID,
        value["otherDeviceCertificate"],
    )
    assert built == rtds


def test_unjoin_and_read_join_details() -> None:
    assert unjoin_payload(Eui64("00DB123456789099")) == content("CS04ACCritical_8.8.1")
    assert unjoin_payload(Eui64("0102030405060708")) == content("CS04B_8.8.2")
    assert read_device_join_details_payload() == bytes.fromhex("0500")


def test_ecs70_payload_is_the_rtds_payload() -> None:
    start = datetime(2014, 12, 31, 23, 59, 10, tzinfo=UTC)
    built = ecs70_payload(1000, start, start + timedelta(seconds=60))
    rtds = content("ECS70Commission_8.1.1")
    assert built.encode() == rtds
    assert decode_dlms(rtds) == built
    kinds = [(s.kind, s.descriptor.member_id) for s in built.specifications]
    assert kinds == [
        (AccessRequestKind.SET, ClockAttribute.CLOCK_BASE),
        (AccessRequestKind.ACTION, ClockMethod.PRESET_ADJUSTING_TIME),
        (AccessRequestKind.ACTION, ClockMethod.ADJUST_TO_PRESET_TIME),
        (AccessRequestKind.GET, ClockAttribute.TIME),
        (AccessRequestKind.GET, ClockAttribute.STATUS),
    ]
    assert {(s.descriptor.class_id, s.descriptor.instance_id) for s in built.specifications} == {
        (CLOCK_CLASS, CLOCK)
    }


def test_gcs28_payload_is_the_rtds_payload() -> None:
    start = datetime(2014, 12, 31, 23, 30, tzinfo=UTC)
    assert gcs28_payload(start, start + timedelta(hours=1)) == content("GCS28Commission_8.1.1")


def test_ccs06_reads_the_active_devices() -> None:
    request = ccs06_payload(0x514)
    assert isinstance(request, AccessRequest) and request.invoke_id == 0x20000514
    [spec] = request.specifications
    assert spec.kind is AccessRequestKind.GET and spec.descriptor.member_id == ACTIVE_DEVICES
    assert spec.descriptor.instance_id == CHF_DEVICE_LOG and spec.descriptor.class_id == 104
    assert request.data[0].type is DataType.NULL_DATA
    assert decode_dlms(request.encode()) == request
