"""Metering cluster (0x0702) additions: the client-side Notification Attribute Set.

zigpy defines the Metering server attributes and commands; it has no client attributes. ZSE 1.4
(07-5356-21) D.3.3.1 gives the Metering *client* the Notification Attribute Set: a mirror (the
GPF's image of a sleepy GSME) holds the flags there and the meter reads them with a Read
Attributes sent server to client. ``FunctionalNotificationFlags`` bits as SE 1.4a Table D-59
(zigpy's ``FunctionalNotificationFlags`` struct has the same layout); GB uses
TUNNEL_MESSAGE_PENDING (0x00200000) to tell the GSME the CHF holds GBCS for it (DOMAIN.md §2).
"""

from __future__ import annotations

# mypy: disable-error-code="arg-type"
import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import zigpy.types as t
from zigpy.zcl.foundation import ZCLAttributeDef

__all__ = [
    "FUNCTIONAL_NOTIFICATION_FLAGS",
    "METERING",
    "METERING_CLIENT_ATTRIBUTES",
    "FunctionalNotificationFlags",
    "MeteringUnitOfMeasure",
]

METERING: Final = 0x0702
FUNCTIONAL_NOTIFICATION_FLAGS: Final = 0x0000
"""Client attribute 0x0000 of the Notification Attribute Set (bitmap32)."""


class FunctionalNotificationFlags(enum.IntFlag):
    """SE 1.4a Table D-59 (the multi-bit push-historical-data fields are left out)."""

    NEW_OTA_FIRMWARE = 0x00000001
    CBKE_UPDATE_REQUEST = 0x00000002
    TIME_SYNC = 0x00000004
    STAY_AWAKE_REQUEST_HAN = 0x00000010
    STAY_AWAKE_REQUEST_WAN = 0x00000020
    PUSH_ALL_STATIC_DATA_BASIC_CLUSTER = 0x00001000
    PUSH_ALL_STATIC_DATA_METERING_CLUSTER = 0x00002000
    PUSH_ALL_STATIC_DATA_PREPAYMENT_CLUSTER = 0x00004000
    NETWORK_KEY_ACTIVE = 0x00008000
    DISPLAY_MESSAGE = 0x00010000
    CANCEL_ALL_MESSAGES = 0x00020000
    CHANGE_SUPPLY = 0x00040000
    LOCAL_CHANGE_SUPPLY = 0x00080000
    SET_UNCONTROLLED_FLOW_THRESHOLD = 0x00100000
    TUNNEL_MESSAGE_PENDING = 0x00200000
    GET_SNAPSHOT = 0x00400000
    GET_SAMPLED_DATA = 0x00800000
    NEW_SUB_GHZ_CHANNEL_MASKS_AVAILABLE = 0x01000000
    ENERGY_SCAN_PENDING = 0x02000000
    CHANNEL_CHANGE_PENDING = 0x04000000


class MeteringUnitOfMeasure(enum.IntEnum):
    """UnitofMeasure (0x0300), binary forms (SE 1.4a Table D-30)."""

    KWH = 0x00
    M3 = 0x01


def _client(attr_id: int, name: str) -> ZCLAttributeDef:
    return ZCLAttributeDef(id=attr_id, type=t.bitmap32, access="r", name=name)


METERING_CLIENT_ATTRIBUTES: Mapping[int, ZCLAttributeDef] = MappingProxyType(
    {
        0x0000: _client(0x0000, "functional_notification_flags"),
        0x0001: _client(0x0001, "notification_flags_2"),
        0x0002: _client(0x0002, "notification_flags_3"),
        0x0003: _client(0x0003, "notification_flags_4"),
        0x0004: _client(0x0004, "notification_flags_5"),
    }
)
"""The Notification Attribute Set of the Metering client (Price, Calendar, Prepayment and Device
Management flags in 2-5)."""
