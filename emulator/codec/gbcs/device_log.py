"""The CHF Device Log as GBCS carries it: DLMS interface class 104 "ZigBee network control".

Object 0-0:30.3.0.255 (the historic log 0-0:30.3.1.255), methods ``register_device`` and
``unregister_device``, attributes ``enable_disable_joining`` and ``join_timeout`` (DOMAIN.md §4);
and the ACCESS payloads of CCS01 (add) and CCS02 (remove) as the RTDS 4.5.0 commands lay them out.
The DCC's ACB builds them; the Communications Hub reads them.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from ..eui64 import Eui64
from .dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpecification,
    CosemDescriptor,
    Data,
    DataType,
    invoke_id_for,
)

ZIGBEE_NETWORK_CONTROL_CLASS = 104
CHF_DEVICE_LOG = bytes.fromhex("00001E0300FF")
"""OBIS 0-0:30.3.0.255: the CHF Device Log."""
CHF_HISTORIC_DEVICE_LOG = bytes.fromhex("00001E0301FF")
"""OBIS 0-0:30.3.1.255: the removed devices and their link keys."""


class DeviceLogMethod(enum.IntEnum):
    """Methods of the class 104 Device Log (DOMAIN.md section 4)."""

    REGISTER_DEVICE = 1
    UNREGISTER_DEVICE = 2
    RESTORE_PAN = 5
    """[U] Blue Book's restore_PAN; GBCS CCS03 (Restore CHF Device Log) is assumed to call it."""


class DeviceLogAttribute(enum.IntEnum):
    """Attributes of the class 104 Device Log set by CCS01."""

    ENABLE_DISABLE_JOINING = 2
    JOIN_TIMEOUT = 3


KEY_TYPE_INSTALL_CODE = 1
"""register_device key_type: the key is an install code (16 bytes, no CRC)."""


class HanDeviceType(enum.IntEnum):
    """register_device device_type codes (DOMAIN.md section 4)."""

    ESME = 0
    GSME = 1
    HCALCS = 13
    IHD = 128
    CAD = 130
    PPMID = 132
    GPF = 254


def _device_log(kind: AccessRequestKind, member: int) -> AccessRequestSpecification:
    return AccessRequestSpecification(
        kind, CosemDescriptor(ZIGBEE_NETWORK_CONTROL_CLASS, CHF_DEVICE_LOG, member)
    )


def ccs01_payload(
    counter: int,
    device: Eui64,
    device_type: HanDeviceType,
    install_code: bytes,
    join_timeout: int,
) -> AccessRequest:
    """CCS01: register_device {EUI, key_type 1, install code, device type}, then set join_timeout
    and enable_disable_joining = TRUE, as the RTDS CCS01 does."""
    return AccessRequest(
        invoke_id_for(counter),
        (
            _device_log(AccessRequestKind.ACTION, DeviceLogMethod.REGISTER_DEVICE),
            _device_log(AccessRequestKind.SET, DeviceLogAttribute.JOIN_TIMEOUT),
            _device_log(AccessRequestKind.SET, DeviceLogAttribute.ENABLE_DISABLE_JOINING),
        ),
        (
            Data.structure(
                Data.octet_string(Eui64(device).big()),
                Data(DataType.ENUM, KEY_TYPE_INSTALL_CODE),
                Data.octet_string(install_code),
                Data(DataType.ENUM, int(device_type)),
            ),
            Data(DataType.LONG_UNSIGNED, join_timeout),
            Data.boolean(True),
        ),
    )


def ccs02_payload(counter: int, device: Eui64) -> AccessRequest:
    """CCS02: unregister_device {EUI}."""
    return AccessRequest(
        invoke_id_for(counter),
        (_device_log(AccessRequestKind.ACTION, DeviceLogMethod.UNREGISTER_DEVICE),),
        (Data.octet_string(Eui64(device).big()),),
    )


def ccs03_payload(counter: int, devices: Sequence[Eui64]) -> AccessRequest:
    """CCS03 Restore CHF Device Log: ``restore_PAN`` with the devices to bring back from the
    historic log [U] (no RTDS CCS03 message; the argument's shape is our choice: the EUI-64s)."""
    return AccessRequest(
        invoke_id_for(counter),
        (_device_log(AccessRequestKind.ACTION, DeviceLogMethod.RESTORE_PAN),),
        (Data.array(*(Data.octet_string(Eui64(d).big()) for d in devices)),),
    )


ACTIVE_DEVICES = 4
"""[U] Class 104 attribute 4, ``active_devices``: per device {EUI, status, RSSI max/avg/min, LQI
max/avg/min, last communication, hops, failures, successes, application and stack versions}, the
14-field structure the RTDS CCS06 response carries. CCS06 reading it is inferred from that
response (the RTDS set has no CCS06 command)."""


def ccs06_payload(counter: int) -> AccessRequest:
    """CCS06 Read CHF device log and check HAN communications: GET ``active_devices``."""
    return AccessRequest(
        invoke_id_for(counter),
        (_device_log(AccessRequestKind.GET, ACTIVE_DEVICES),),
        (Data.null(),),
    )
