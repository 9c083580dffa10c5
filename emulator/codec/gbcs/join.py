"""The ASN.1 payloads of the HAN join use cases: CS03 join, CS04 unjoin, CS07 read join details.

One builder per command payload, in the DER the RTDS 4.5.0 CS03A1 / CS03A2 / CS03B / CS03C /
CS04AC / CS04B commands carry (``asn1.py`` holds the module). The DCC builds them for SRVs 8.7,
8.8 and 8.9; who signs and MACs the command is the envelope's business, not the payload's.
"""

from __future__ import annotations

from ..eui64 import Eui64
from .asn1 import DeviceType, JoinMethodAndRole, encode_asn1


def join_payload(
    role: JoinMethodAndRole,
    other_device: Eui64,
    other_device_type: DeviceType,
    other_device_certificate: bytes | None = None,
) -> bytes:
    """CS03 ``JoinDeviceCommand``: the join method and role, the other device's EUI and type, and
    for method C the other device's Key Agreement certificate (DER, CS03C)."""
    value: dict[str, object] = {
        "joinMethodAndRole": int(role),
        "otherDeviceEntityIdentifier": Eui64(other_device).big(),
        "otherDeviceType": int(other_device_type),
    }
    if other_device_certificate is not None:
        value["otherDeviceCertificate"] = other_device_certificate
    return encode_asn1("JoinDeviceCommand", value)


def unjoin_payload(other_device: Eui64) -> bytes:
    """CS04 ``UnjoinDeviceCommand``: the EUI of the device to forget."""
    return encode_asn1("UnjoinDeviceCommand", Eui64(other_device).big())


def read_device_join_details_payload() -> bytes:
    """CS07 ``ReadDeviceJoinDetailsCommand``: an ASN.1 NULL."""
    return encode_asn1("ReadDeviceJoinDetailsCommand", None)
