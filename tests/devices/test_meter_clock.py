"""The ESME's Clock object against the RTDS ECS70, decoded: set, adjusted, read back, persisted."""

from __future__ import annotations

import datetime
from pathlib import Path

from support.rtds import rtds_bytes

from emulator.codec.gbcs import GeneralCiphering, decode_message
from emulator.codec.gbcs.dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpecification,
    CosemDescriptor,
    Data,
    DataAccessResult,
    DataType,
    decode_dlms,
)
from emulator.devices.meter_clock import (
    CLOCK,
    STATUS_DOUBTFUL,
    STATUS_OK,
    ClockBase,
    MeterClock,
    is_clock,
    read_cosem_date_time,
)
from emulator.han.clock import VirtualClock
from emulator.han.stack.state import SqliteStateStore


def rtds_ecs70() -> AccessRequest:
    message = decode_message(rtds_bytes("ECS70Commission_8.1.1_SUCCESS_COMMAND_GBCS.HEX"))
    assert isinstance(message, GeneralCiphering)
    request = decode_dlms(message.apdu.content)
    assert isinstance(request, AccessRequest)
    return request


RTDS_HUB_TIME = datetime.datetime(2014, 12, 31, 23, 59, 40, tzinfo=datetime.UTC)
"""Inside the RTDS ECS70's validity interval, 23:59:10 to 00:00:10."""


async def test_the_rtds_ecs70_sets_the_clock_to_the_hubs_time(tmp_path: Path) -> None:
    clock = VirtualClock(epoch=RTDS_HUB_TIME)
    await clock.sleep(0)
    meter = MeterClock(SqliteStateStore(tmp_path / "esme.sqlite"), clock)
    assert meter.status == STATUS_DOUBTFUL
    request = rtds_ecs70()
    assert all(is_clock(s.descriptor) for s in request.specifications)
    answers = [
        meter.access(s, d) for s, d in zip(request.specifications, request.data, strict=True)
    ]
    assert [result for _, result in answers] == [DataAccessResult.SUCCESS] * 5
    expected = RTDS_HUB_TIME
    time, status = answers[3][0], answers[4][0]
    assert time.type is DataType.OCTET_STRING and isinstance(time.value, bytes)
    assert read_cosem_date_time(time.value) == expected
    assert status == Data(DataType.UNSIGNED, STATUS_OK)
    assert meter.clock_base == ClockBase.RADIO_CONTROLLED  # attribute 9 := 5, as RTDS sets it
    await clock.sleep(3600)
    again = MeterClock(SqliteStateStore(tmp_path / "esme.sqlite"), clock)  # a power cycle
    assert again.now() - expected == datetime.timedelta(hours=1)
    assert (again.status, again.clock_base) == (STATUS_OK, ClockBase.RADIO_CONTROLLED)


async def test_wrong_types_and_members_are_refused() -> None:
    from emulator.han.stack.state import MemoryStateStore

    meter = MeterClock(MemoryStateStore(), VirtualClock())

    def spec(kind: AccessRequestKind, member: int) -> AccessRequestSpecification:
        return AccessRequestSpecification(kind, CosemDescriptor(8, CLOCK, member))

    set_base, set_time = spec(AccessRequestKind.SET, 9), spec(AccessRequestKind.SET, 2)
    preset, adjust = spec(AccessRequestKind.ACTION, 5), spec(AccessRequestKind.ACTION, 4)
    assert meter.access(set_base, Data(DataType.UNSIGNED, 5))[1] is DataAccessResult.TYPE_UNMATCHED
    assert meter.access(set_time, Data.null())[1] is DataAccessResult.READ_WRITE_DENIED
    assert meter.access(preset, Data.null())[1] is DataAccessResult.TYPE_UNMATCHED
    assert meter.access(adjust, Data(DataType.INTEGER, 0))[1] is not DataAccessResult.SUCCESS
    never = Data.octet_string(bytes.fromhex("FFFFFFFFFFFFFFFFFF8000FF"))
    assert meter.access(preset, Data.structure(never, never, never))[1] is not (
        DataAccessResult.SUCCESS
    )
