"""The firmware version object the Read Firmware Version use cases address (ECS52, SRV 11.2).

ECS52 is a DLMS GET of class 1 (Data) object 0-0:0.2.1.255, attribute 2 (value), as the RTDS
4.5.0 ECS52 command shows; the ESME answers with the version as an octet string. The Supplier
originates the command, the ACB MACs it for the device (DOMAIN.md §2).
"""

from __future__ import annotations

from .dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpecification,
    AccessResponse,
    CosemDescriptor,
    Data,
    invoke_id_for,
)

FIRMWARE_VERSION = CosemDescriptor(1, bytes.fromhex("0000000201FF"), 2)
"""Class 1 (Data) object 0-0:0.2.1.255, attribute 2 (value)."""


def ecs52_payload(counter: int) -> AccessRequest:
    """ECS52: GET the firmware version; the invoke-id follows the originator counter."""
    return AccessRequest(
        invoke_id_for(counter),
        (AccessRequestSpecification(AccessRequestKind.GET, FIRMWARE_VERSION),),
        (Data.null(),),
    )


def reported_version(payload: object) -> bytes | None:
    """The version an ECS52 response reports (its one octet string), or None if it is not one."""
    if isinstance(payload, AccessResponse) and len(payload.data) == 1:
        value = payload.data[0].value
        return value if isinstance(value, bytes) else None
    return None
