"""The OTA Upgrade cluster (0x0019) frames a GB hub and its devices exchange (ZCL r6 ch. 11).

zigpy's ``Ota`` cluster defines every command (``registry.CLUSTERS``) and ``frame.build_command`` /
``frame.parse_command`` use it for the rare ones (Image Notify, Query Next Image and its response,
Upgrade End and its response, Image Page). Image Block Request and Image Block Response are the
transfer's hot path, thousands per image, and zigpy parses a few thousand payloads a second
(DOMAIN.md section 9): those two are packed and unpacked here with ``struct``, in exactly the
layout of zigpy's schemas (``tests/codec/zcl/test_zcl_ota.py`` checks them against zigpy both
ways).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from ..errors import ZclDecodeError

OTA_UPGRADE = 0x0019

_BLOCK_REQUEST = struct.Struct("<BHHIIB")
_BLOCK_SUCCESS = struct.Struct("<BHHIIB")
_BLOCK_WAIT = struct.Struct("<BIIH")
_EUI64 = struct.Struct("<Q")
_U16 = struct.Struct("<H")

FC_REQUEST_NODE_ADDRESS = 0x01
"""Image Block Request field control: the requester's IEEE address is present."""
FC_MINIMUM_BLOCK_PERIOD = 0x02
"""Image Block Request field control: BlockRequestDelay / MinimumBlockPeriod is present."""


class OtaCommand(enum.IntEnum):
    """Command identifiers of the OTA Upgrade cluster (ZCL r6 Table 11-15/11-16)."""

    IMAGE_NOTIFY = 0x00
    QUERY_NEXT_IMAGE = 0x01
    QUERY_NEXT_IMAGE_RESPONSE = 0x02
    IMAGE_BLOCK = 0x03
    IMAGE_PAGE = 0x04
    IMAGE_BLOCK_RESPONSE = 0x05
    UPGRADE_END = 0x06
    UPGRADE_END_RESPONSE = 0x07


class OtaStatus(enum.IntEnum):
    """The ZCL status codes the OTA commands carry (ZCL r6 Table 2-12)."""

    SUCCESS = 0x00
    ABORT = 0x95
    NOT_AUTHORIZED = 0x7E
    INVALID_IMAGE = 0x96
    WAIT_FOR_DATA = 0x97
    NO_IMAGE_AVAILABLE = 0x98
    MALFORMED_COMMAND = 0x80
    REQUIRE_MORE_IMAGE = 0x99


UPGRADE_TIME_WAIT_FOR_COMMAND = 0xFFFFFFFF
"""Upgrade End Response's UpgradeTime: "wait for an upgrade command" (ZCL r6 11.13.9.4). In GB the
command is CS06 Activate Firmware, so the hub always answers this."""


@dataclass(frozen=True, slots=True)
class ImageId:
    """Which image a command is about."""

    manufacturer: int
    image_type: int
    file_version: int


@dataclass(frozen=True, slots=True)
class ImageBlockRequest:
    image: ImageId
    file_offset: int
    maximum_data_size: int
    request_node_address: int | None = None
    minimum_block_period: int | None = None
    """Milliseconds (ZCL r6: BlockRequestDelay / MinimumBlockPeriod)."""

    def encode(self) -> bytes:
        fc = (FC_REQUEST_NODE_ADDRESS if self.request_node_address is not None else 0) | (
            FC_MINIMUM_BLOCK_PERIOD if self.minimum_block_period is not None else 0
        )
        i = self.image
        out = _BLOCK_REQUEST.pack(
            fc,
            i.manufacturer,
            i.image_type,
            i.file_version,
            self.file_offset,
            self.maximum_data_size,
        )
        if self.request_node_address is not None:
            out += _EUI64.pack(self.request_node_address)
        if self.minimum_block_period is not None:
            out += _U16.pack(self.minimum_block_period)
        return out

    @classmethod
    def decode(cls, data: bytes) -> ImageBlockRequest:
        if len(data) < _BLOCK_REQUEST.size:
            raise ZclDecodeError(f"Image Block Request of {len(data)} bytes", len(data))
        fc, manufacturer, image_type, version, offset, size = _BLOCK_REQUEST.unpack_from(data)
        at = _BLOCK_REQUEST.size
        node = period = None
        if fc & FC_REQUEST_NODE_ADDRESS:
            if len(data) < at + 8:
                raise ZclDecodeError("Image Block Request: truncated node address", len(data))
            (node,) = _EUI64.unpack_from(data, at)
            at += 8
        if fc & FC_MINIMUM_BLOCK_PERIOD:
            if len(data) < at + 2:
                raise ZclDecodeError("Image Block Request: truncated block period", len(data))
            (period,) = _U16.unpack_from(data, at)
        return cls(ImageId(manufacturer, image_type, version), offset, size, node, period)


@dataclass(frozen=True, slots=True)
class ImageBlockResponse:
    """SUCCESS (image, offset, data), WAIT_FOR_DATA (times and minimum block period) or ABORT."""

    status: OtaStatus
    image: ImageId | None = None
    file_offset: int = 0
    data: bytes = b""
    current_time: int = 0
    request_time: int = 0
    minimum_block_period: int = 0

    def encode(self) -> bytes:
        if self.status is OtaStatus.SUCCESS:
            assert self.image is not None
            i = self.image
            return (
                _BLOCK_SUCCESS.pack(
                    self.status,
                    i.manufacturer,
                    i.image_type,
                    i.file_version,
                    self.file_offset,
                    len(self.data),
                )
                + self.data
            )
        if self.status is OtaStatus.WAIT_FOR_DATA:
            return _BLOCK_WAIT.pack(
                self.status, self.current_time, self.request_time, self.minimum_block_period
            )
        return bytes((self.status,))

    @classmethod
    def decode(cls, data: bytes) -> ImageBlockResponse:
        if not data:
            raise ZclDecodeError("empty Image Block Response", 0)
        try:
            status = OtaStatus(data[0])
        except ValueError:
            raise ZclDecodeError(f"Image Block Response status 0x{data[0]:02X}", 0) from None
        if status is OtaStatus.SUCCESS:
            if len(data) < _BLOCK_SUCCESS.size:
                raise ZclDecodeError(f"Image Block Response of {len(data)} bytes", len(data))
            _, manufacturer, image_type, version, offset, size = _BLOCK_SUCCESS.unpack_from(data)
            block = data[_BLOCK_SUCCESS.size : _BLOCK_SUCCESS.size + size]
            if len(block) != size:
                raise ZclDecodeError(f"Image Block Response: {len(block)} of {size} bytes", 14)
            return cls(status, ImageId(manufacturer, image_type, version), offset, bytes(block))
        if status is OtaStatus.WAIT_FOR_DATA:
            if len(data) < _BLOCK_WAIT.size:
                raise ZclDecodeError("Image Block Response WAIT_FOR_DATA truncated", len(data))
            _, now, at, period = _BLOCK_WAIT.unpack_from(data)
            return cls(status, current_time=now, request_time=at, minimum_block_period=period)
        return cls(status)
