"""The firmware version object the Read Firmware Version use cases address (ECS52, SRV 11.2).

ECS52 is a DLMS GET of class 1 (Data) object 0-0:0.2.1.255, attribute 2 (value), as the RTDS
4.5.0 ECS52 command shows; the ESME answers with the version as an octet string. The Supplier
originates the command with its own counter, the ACB MACs it for the device (DOMAIN.md §2).
"""

from __future__ import annotations

from ..eui64 import Eui64
from .codes import CRA, MessageCode
from .dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpecification,
    AccessResponse,
    CosemDescriptor,
    Data,
    invoke_id_for,
)
from .headers import GeneralCiphering, GeneralSigning, OtherInformation
from .keystore import KeyStore
from .verify import protect

FIRMWARE_VERSION = CosemDescriptor(1, bytes.fromhex("0000000201FF"), 2)
"""Class 1 (Data) object 0-0:0.2.1.255, attribute 2 (value)."""


def ecs52_payload(counter: int) -> AccessRequest:
    """ECS52: GET the firmware version; the invoke-id follows the originator counter."""
    return AccessRequest(
        invoke_id_for(counter),
        (AccessRequestSpecification(AccessRequestKind.GET, FIRMWARE_VERSION),),
        (Data.null(),),
    )


def ecs52_command(
    supplier: Eui64, counter: int, esme: Eui64, keystore: KeyStore, acb: Eui64
) -> GeneralCiphering:
    """The whole ECS52: the Supplier's non-critical command (its own counter), MAC'd by the ACB
    (``keystore`` holds the ACB's KA private key and the ESME's certificate)."""
    apdu = GeneralSigning(
        CRA.COMMAND,
        counter,
        Eui64(supplier),
        Eui64(esme),
        OtherInformation(MessageCode.ECS52_READ_ESME_COMMS_HUB_FIRMWARE_VERSION),
        ecs52_payload(counter).encode(),
    )
    return protect(apdu, keystore, Eui64(acb))


def reported_version(payload: object) -> bytes | None:
    """The version an ECS52 response reports (its one octet string), or None if it is not one."""
    if isinstance(payload, AccessResponse) and len(payload.data) == 1:
        value = payload.data[0].value
        return value if isinstance(value, bytes) else None
    return None
