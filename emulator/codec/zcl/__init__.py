"""ZCL: zigpy's framework plus the GB Smart Energy cluster definitions zigpy leaves empty.

``CLUSTERS`` maps cluster ids to cluster classes (ours for Price 0x0700, Messaging 0x0703, Tunneling
0x0704, Prepayment 0x0705, Calendar 0x0707, Device Management 0x0708, Events 0x0709, Sub-GHz 0x070B
and Key Establishment 0x0800; zigpy's for Basic, Identify, Time, OTA and Metering). ``frame`` is
the hot-path header codec plus payload parsing and building through those classes.
"""

from __future__ import annotations

from .calendar import Calendar
from .device_management import DeviceManagement
from .events import Events
from .frame import (
    Direction,
    FrameType,
    ZclFrame,
    build_command,
    command_def,
    decode_zcl,
    parse_command,
    read_attributes,
    read_attributes_response,
    read_attributes_result,
)
from .key_establishment import KeyEstablishment
from .messaging import Messaging
from .prepayment import Prepayment
from .price import Price
from .registry import CLUSTERS, GB_CLUSTERS, ZIGPY_CLUSTERS
from .sub_ghz import SubGhz
from .tunneling import Tunneling

__all__ = [
    "CLUSTERS",
    "GB_CLUSTERS",
    "ZIGPY_CLUSTERS",
    "Calendar",
    "DeviceManagement",
    "Direction",
    "Events",
    "FrameType",
    "KeyEstablishment",
    "Messaging",
    "Prepayment",
    "Price",
    "SubGhz",
    "Tunneling",
    "ZclFrame",
    "build_command",
    "command_def",
    "decode_zcl",
    "parse_command",
    "read_attributes",
    "read_attributes_response",
    "read_attributes_result",
]
