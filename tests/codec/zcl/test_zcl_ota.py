"""The OTA Upgrade cluster's hot-path frames, packed by hand, against zigpy's own schemas."""

from __future__ import annotations

import pytest
import zigpy.types as t
from hypothesis import given
from hypothesis import strategies as st

from emulator.codec.errors import ZclDecodeError
from emulator.codec.zcl import frame as zcl
from emulator.codec.zcl.ota import (
    OTA_UPGRADE,
    ImageBlockRequest,
    ImageBlockResponse,
    ImageId,
    OtaStatus,
)

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)


@given(u16, u16, u32, u32, st.integers(0, 255))
def test_image_block_request_is_zigpys_bytes(
    manufacturer: int, image_type: int, version: int, offset: int, size: int
) -> None:
    ours = ImageBlockRequest(ImageId(manufacturer, image_type, version), offset, size)
    theirs = zcl.build_command(
        OTA_UPGRADE, "image_block", tsn=1, field_control=0, manufacturer_code=manufacturer,
        image_type=image_type, file_version=version, file_offset=offset, maximum_data_size=size,
    )  # fmt: skip
    assert ours.encode() == theirs.payload
    assert ImageBlockRequest.decode(theirs.payload) == ours


@given(u16, u16, u32, u32, st.binary(max_size=64))
def test_image_block_response_is_zigpys_bytes(
    manufacturer: int, image_type: int, version: int, offset: int, data: bytes
) -> None:
    ours = ImageBlockResponse(
        OtaStatus.SUCCESS, ImageId(manufacturer, image_type, version), offset, data
    )
    theirs = zcl.build_command(
        OTA_UPGRADE, "image_block_response", tsn=1, status=0, manufacturer_code=manufacturer,
        image_type=image_type, file_version=version, file_offset=offset, image_data=data,
    )  # fmt: skip
    assert ours.encode() == theirs.payload
    assert ImageBlockResponse.decode(theirs.payload) == ours


def test_wait_for_data_and_abort_are_zigpys_bytes() -> None:
    wait = ImageBlockResponse(
        OtaStatus.WAIT_FOR_DATA, current_time=5, request_time=9, minimum_block_period=3
    )
    theirs = zcl.build_command(
        OTA_UPGRADE, "image_block_response", tsn=1, status=0x97, current_time=t.UTCTime(5),
        request_time=t.UTCTime(9), minimum_block_period=3,
    )  # fmt: skip
    assert wait.encode() == theirs.payload
    assert ImageBlockResponse.decode(theirs.payload) == wait
    assert ImageBlockResponse.decode(ImageBlockResponse(OtaStatus.ABORT).encode()).status is (
        OtaStatus.ABORT
    )


@pytest.mark.parametrize("data", [b"", b"\x00\x01", bytes([0x42]), b"\x00" + bytes(12) + b"\x05"])
def test_bad_responses_raise_the_codec_error(data: bytes) -> None:
    with pytest.raises(ZclDecodeError):
        ImageBlockResponse.decode(data)


def test_a_truncated_request_raises_the_codec_error() -> None:
    with pytest.raises(ZclDecodeError):
        ImageBlockRequest.decode(bytes(5))
