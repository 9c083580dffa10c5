"""The hand-parsed ZCL header, the zigpy-backed payload codec and the Read Attributes helpers."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zigpy.zcl import foundation

from emulator.codec.errors import DecodeError, ZclDecodeError
from emulator.codec.zcl import (
    CLUSTERS,
    Direction,
    FrameType,
    ZclFrame,
    build_command,
    decode_zcl,
    parse_command,
    read_attributes,
    read_attributes_response,
    read_attributes_result,
)

frames = st.builds(
    ZclFrame,
    frame_type=st.sampled_from(FrameType),
    direction=st.sampled_from(Direction),
    tsn=st.integers(0, 0xFF),
    command_id=st.integers(0, 0xFF),
    payload=st.binary(max_size=64),
    manufacturer=st.none() | st.integers(0, 0xFFFF),
    disable_default_response=st.booleans(),
)


@given(frames)
def test_zcl_frame_round_trips(frame: ZclFrame) -> None:
    assert decode_zcl(frame.encode()) == frame


@given(st.binary(max_size=40))
def test_zcl_decode_accepts_exactly_or_raises_zcl_error(data: bytes) -> None:
    try:
        frame = decode_zcl(data)
    except ZclDecodeError as exc:
        assert exc.layer == "zcl"
        assert 0 <= exc.offset <= len(data)
    else:
        assert frame.encode() == data


@given(st.sampled_from(sorted(CLUSTERS)), frames)
def test_zcl_parse_command_raises_only_zcl_errors(cluster_id: int, frame: ZclFrame) -> None:
    with contextlib.suppress(ZclDecodeError):
        parse_command(cluster_id, frame, strict=True)


def test_zcl_header_bytes() -> None:
    # Cluster-specific, server to client, disable default response, manufacturer 0x1234.
    frame = decode_zcl(bytes.fromhex("1d3412aa07beef"))
    assert frame == ZclFrame(
        FrameType.CLUSTER_SPECIFIC,
        Direction.SERVER_TO_CLIENT,
        tsn=0xAA,
        command_id=0x07,
        payload=b"\xbe\xef",
        manufacturer=0x1234,
        disable_default_response=True,
    )
    assert frame.header_length == 5
    assert not frame.is_global


@pytest.mark.parametrize(
    ("data", "offset"),
    [(b"", 0), (b"\x00\x01", 2), (b"\x04\x01\x02\x03", 4), (b"\x02\x00\x00", 0), (b"\x20\0\0", 0)],
)
def test_zcl_bad_headers(data: bytes, offset: int) -> None:
    with pytest.raises(ZclDecodeError) as info:
        decode_zcl(data)
    assert info.value.offset == offset
    assert isinstance(info.value, DecodeError)


def test_zcl_encode_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match="sequence"):
        ZclFrame(FrameType.GLOBAL, Direction.CLIENT_TO_SERVER, 256, 0).encode()
    with pytest.raises(ValueError, match="manufacturer"):
        ZclFrame(FrameType.GLOBAL, Direction.CLIENT_TO_SERVER, 0, 0, manufacturer=-1).encode()


@given(st.lists(st.integers(0, 0xFFFF), max_size=20), st.integers(0, 0xFF))
def test_zcl_read_attributes_round_trip(ids: list[int], tsn: int) -> None:
    frame = read_attributes(ids, tsn=tsn)
    assert frame.encode() == bytes((0x00, tsn, 0x00)) + b"".join(
        i.to_bytes(2, "little") for i in ids
    )
    parsed = parse_command(0x0702, decode_zcl(frame.encode()), strict=True)
    assert list(parsed.attribute_ids) == ids


def test_zcl_read_attributes_response_round_trip() -> None:
    # Metering: CurrentSummationDelivered (uint48), UnitofMeasure (enum8); 0x0005 unsupported.
    frame = read_attributes_response(
        0x0702,
        {0x0000: 123456789, 0x0300: 0, 0x0005: None, 0x0006: foundation.Status.FAILURE},
        tsn=9,
    )
    data = frame.encode()
    assert data.hex() == (
        "18090100000025" + "15cd5b070000" + "00030030" + "00" + "050086" + "060001"
    )
    result = read_attributes_result(decode_zcl(data))
    assert result == {
        0x0000: 123456789,
        0x0300: 0,
        0x0005: foundation.Status.UNSUPPORTED_ATTRIBUTE,
        0x0006: foundation.Status.FAILURE,
    }


def test_zcl_unknowns_are_decode_errors() -> None:
    unknown_global = ZclFrame(FrameType.GLOBAL, Direction.CLIENT_TO_SERVER, 1, 0x7F)
    with pytest.raises(ZclDecodeError, match="unknown global"):
        parse_command(0x0702, unknown_global)
    on_unknown_cluster = ZclFrame(FrameType.CLUSTER_SPECIFIC, Direction.CLIENT_TO_SERVER, 1, 0)
    with pytest.raises(ZclDecodeError, match="no definition"):
        parse_command(0x1234, on_unknown_cluster)
    with pytest.raises(ZclDecodeError, match="defines no"):
        parse_command(
            0x0000, ZclFrame(FrameType.CLUSTER_SPECIFIC, Direction.CLIENT_TO_SERVER, 1, 9)
        )
    with pytest.raises(ZclDecodeError, match="trailing"):
        parse_command(
            0x0702,
            ZclFrame(FrameType.GLOBAL, Direction.SERVER_TO_CLIENT, 1, 0x0B, b"\x01\x00\x02"),
            strict=True,
        )
    with pytest.raises(ValueError, match="no command"):
        build_command(0x0702, "no_such_command", tsn=1)


def test_zcl_global_commands_parse_on_any_cluster() -> None:
    frame = read_attributes([0x0000], tsn=3)
    assert list(parse_command(0xFFFF, frame).attribute_ids) == [0]
