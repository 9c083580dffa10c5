"""Which codec a GBCS payload takes: ASN.1 by (message code, CRA), else GBZ, DLMS, or raw bytes.

The choice follows GBCS section 7 as the public parsers apply it: the ASN.1 use cases are listed in
``asn1.ASN1_PAYLOAD_TYPES``; otherwise the first bytes tell GBZ (``01 09``) from DLMS (``D9``,
``DA``, ``0F``). Unknown message codes keep their payload raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .asn1 import asn1_type_for, decode_asn1, encode_asn1
from .codes import CRA, MESSAGE_CODE_NAMES
from .dlms import (
    ACCESS_REQUEST,
    ACCESS_RESPONSE,
    DATA_NOTIFICATION,
    AccessRequest,
    AccessResponse,
    Data,
    DataNotification,
    DataType,
    decode_dlms,
)
from .gbz import GBZ_PROFILE_ID, GbzPayload, decode_gbz


@dataclass(frozen=True, slots=True)
class Asn1Payload:
    """A DER payload decoded with the GBCS ASN.1 module (``value`` as asn1tools gives it)."""

    type_name: str
    value: Any

    def encode(self) -> bytes:
        return encode_asn1(self.type_name, self.value)


@dataclass(frozen=True, slots=True)
class RawPayload:
    """A payload this codec does not interpret."""

    data: bytes

    def encode(self) -> bytes:
        return self.data


Payload = AccessRequest | AccessResponse | DataNotification | GbzPayload | Asn1Payload | RawPayload


def decode_payload(message_code: int, cra: CRA, content: bytes) -> Payload:
    """Decode ``content`` of a message with ``message_code`` and ``cra``; raises GbcsDecodeError."""
    if message_code not in MESSAGE_CODE_NAMES or not content:
        return RawPayload(content)
    type_name = asn1_type_for(message_code, cra)
    if type_name is not None:
        return Asn1Payload(type_name, decode_asn1(type_name, content))
    if len(content) >= 2 and int.from_bytes(content[:2], "big") == GBZ_PROFILE_ID:
        return decode_gbz(content, alert=cra is CRA.ALERT)
    if content[0] in (ACCESS_REQUEST, ACCESS_RESPONSE, DATA_NOTIFICATION):
        return decode_dlms(content)
    return RawPayload(content)


PROTECTED_SECURITY_HEADER = 0x31
"""Security control byte heading an encrypted payload part (authenticated and encrypted)."""


def encrypted_parts(payload: Payload) -> list[bytes]:
    """The ciphertext||tag of every encrypted part of ``payload``, in order.

    DLMS: octet-strings in access-response data that start with security control ``31`` and a
    4-byte invocation counter (Get Protected Attributes responses). GBZ: encrypted components'
    ciphered information after its 5-byte security header.
    """
    out: list[bytes] = []
    if isinstance(payload, AccessResponse):
        for item in payload.data:
            _collect_protected(item, out)
    elif isinstance(payload, GbzPayload):
        out.extend(c.payload[5:] for c in payload.components if c.encrypted and len(c.payload) > 5)
    return out


def _collect_protected(d: Data, out: list[bytes]) -> None:
    if d.type in (DataType.STRUCTURE, DataType.ARRAY) and isinstance(d.value, tuple):
        for child in d.value:
            _collect_protected(child, out)
    elif (
        d.type is DataType.OCTET_STRING
        and isinstance(d.value, bytes)
        and len(d.value) > 5 + 12
        and d.value[0] == PROTECTED_SECURITY_HEADER
    ):
        out.append(d.value[5:])
