"""ASN.1 DER payloads of the join, unjoin, firmware, clock and GPF device-log use cases.

Compiled with ``asn1tools`` from the module below, written from the GBCS use-case descriptions
(GBCS 10.x/11.x; field names as the public GBCS parsers display them) and checked byte-exact against
the RTDS messages. ``decode_asn1`` gives plain ``dict``/``int``/``bytes``/``datetime`` values that
``encode_asn1`` turns back into the same DER.
"""

from __future__ import annotations

import enum
import types
from typing import Any

import asn1tools
from asn1tools.codecs.ber import TAG_MISMATCH
from asn1tools.codecs.der import ArrayType

from .codes import CRA
from .errors import GbcsDecodeError

GBCS_ASN1 = """
GBCS-Payloads DEFINITIONS IMPLICIT TAGS ::= BEGIN

EntityIdentifier ::= OCTET STRING (SIZE (8))
DeviceType ::= INTEGER
AlertCode ::= INTEGER (0..65535)

JoinDeviceCommand ::= SEQUENCE {
    joinMethodAndRole INTEGER,
    otherDeviceEntityIdentifier EntityIdentifier,
    otherDeviceType DeviceType,
    otherDeviceCertificate ANY OPTIONAL
}
JoinDeviceResponse ::= INTEGER

UnjoinDeviceCommand ::= EntityIdentifier
UnjoinDeviceResponse ::= INTEGER

ExecutionOutcome ::= SEQUENCE {
    responseCode INTEGER,
    firmwareVersion OCTET STRING
}
ActivateFirmwareCommand ::= SEQUENCE {
    manufacturerImageHash OCTET STRING (SIZE (32)),
    originatorCounter INTEGER,
    executionDateTime GeneralizedTime OPTIONAL
}
ActivateFirmwareResponse ::= CHOICE {
    executionOutcome ExecutionOutcome,
    commandAccepted NULL
}
ActivateFirmwareAlert ::= SEQUENCE {
    alertCode AlertCode,
    executionDateTime GeneralizedTime,
    originatorCounter INTEGER,
    executionOutcome ExecutionOutcome
}

DeviceLogEntry ::= SEQUENCE {
    deviceId EntityIdentifier,
    deviceType DeviceType
}
ReadDeviceJoinDetailsCommand ::= NULL
ReadDeviceJoinDetailsResponse ::= SEQUENCE {
    responseCode INTEGER,
    deviceLogEntries SEQUENCE OF DeviceLogEntry OPTIONAL
}

ReadFirmwareVersionCommand ::= NULL
ReadFirmwareVersionResponse ::= SEQUENCE {
    firmwareVersion OCTET STRING,
    responseCode INTEGER
}
ReadFirmwareVersionAlert ::= SEQUENCE {
    alertCode AlertCode,
    executionDateTime GeneralizedTime,
    firmwareVersion OCTET STRING,
    activateImage INTEGER
}
FirmwareTransferAlert ::= SEQUENCE {
    alertCode AlertCode,
    executionDateTime GeneralizedTime,
    entityId EntityIdentifier,
    firmwareVersion OCTET STRING,
    responseCode INTEGER
}

SetTimeCommand ::= SEQUENCE {
    validityIntervalStart GeneralizedTime,
    validityIntervalEnd GeneralizedTime
}
SetTimeResponse ::= SEQUENCE {
    deviceTime GeneralizedTime,
    deviceTimeStatus INTEGER
}

-- [U] CS02b supplierByTransCoS (0x0107), our minimal shape: GBCS's own payload (a replacement
-- list with certificate-chain checks) is not in our sources; see emulator/devices/trust_anchors.py
SupplierTrustAnchorReplacement ::= SEQUENCE {
    newSupplierDigitalSigningCertificate ANY,
    newSupplierKeyAgreementCertificate ANY
}
SupplierTrustAnchorReplacementResponse ::= INTEGER

GpfDeviceLogRestoreCommand ::= SEQUENCE {
    deviceLogEntries SEQUENCE OF DeviceLogEntry
}
RestoreOutcome ::= SEQUENCE {
    deviceLogEntry DeviceLogEntry,
    joinResponseCode INTEGER
}
GpfDeviceLogRestoreResponse ::= SEQUENCE {
    restoreOutcomes SEQUENCE OF RestoreOutcome
}
GpfDeviceLogBackupAlert ::= SEQUENCE {
    alertCode AlertCode,
    backupDateTime GeneralizedTime,
    deviceLogEntries SEQUENCE OF DeviceLogEntry
}

END
"""


def _checked_array_decode(
    self: Any, data: bytearray, offset: int, length: int
) -> tuple[list[Any], int]:
    """SEQUENCE OF decoding that fails on an element with the wrong tag.

    asn1tools 0.169's DER ``ArrayType.decode_content`` keeps appending its ``TAG_MISMATCH`` marker
    without advancing when an element has the wrong tag, so one flipped byte makes it loop until
    memory runs out. Our compiled types use this version instead (set per instance, not globally).
    """
    decoded: list[Any] = []
    start = offset
    while offset - start < length:
        value, end = self.element_type.decode(data, offset)
        if value is TAG_MISMATCH or end <= offset:
            raise asn1tools.DecodeError(f"{self.name}: element with a wrong tag at {offset}")
        decoded.append(value)
        offset = end
    return decoded, offset


def _guard_arrays(t: Any, seen: set[int]) -> None:
    if id(t) in seen:
        return
    seen.add(id(t))
    if isinstance(t, ArrayType):
        t.decode_content = types.MethodType(_checked_array_decode, t)
    children = [getattr(t, "element_type", None)]
    for name in ("root_members", "additions", "members"):
        children.extend(getattr(t, name, None) or [])
    for child in children:
        if child is not None and not isinstance(child, (str, int, bytes)):
            _guard_arrays(child, seen)


_SPEC = asn1tools.compile_string(GBCS_ASN1, "der")
_seen: set[int] = set()
for _compiled in _SPEC.types.values():
    _guard_arrays(_compiled.type, _seen)


class JoinMethodAndRole(enum.IntEnum):
    """``joinMethodAndRole`` of the Join Device command (CS03)."""

    METHOD_A_INITIATOR = 0
    METHOD_A_RESPONDER = 1
    METHOD_B = 2
    METHOD_C = 3


class DeviceType(enum.IntEnum):
    """``DeviceType`` in the join and device-log payloads."""

    GSME = 0
    ESME = 1
    CHF = 2
    GPF = 3
    HCALCS = 4
    PPMID = 5
    TYPE_2 = 6


class ActivateFirmwareResult(enum.IntEnum):
    """CS06 execution outcome response codes."""

    SUCCESS = 0
    NO_IMAGE_HELD = 1
    HASH_MISMATCH = 2
    ACTIVATION_FAILURE = 3


_JOIN = (0x000D, 0x00AB, 0x000E, 0x00AF)  # CS03A1, CS03A2, CS03B, CS03C
_UNJOIN = (0x000F, 0x0010)  # CS04AC, CS04B

ASN1_PAYLOAD_TYPES: dict[tuple[int, CRA], str] = {
    **{(code, CRA.COMMAND): "JoinDeviceCommand" for code in _JOIN},
    **{(code, CRA.RESPONSE): "JoinDeviceResponse" for code in _JOIN},
    **{(code, CRA.COMMAND): "UnjoinDeviceCommand" for code in _UNJOIN},
    **{(code, CRA.RESPONSE): "UnjoinDeviceResponse" for code in _UNJOIN},
    (0x0012, CRA.COMMAND): "ActivateFirmwareCommand",  # CS06
    (0x0012, CRA.RESPONSE): "ActivateFirmwareResponse",
    (0x00CA, CRA.ALERT): "ActivateFirmwareAlert",  # future-dated CS06 outcome
    (0x0013, CRA.COMMAND): "ReadDeviceJoinDetailsCommand",  # CS07
    (0x0013, CRA.RESPONSE): "ReadDeviceJoinDetailsResponse",
    (0x0129, CRA.COMMAND): "ReadFirmwareVersionCommand",  # CS08
    (0x0129, CRA.RESPONSE): "ReadFirmwareVersionResponse",
    (0x0129, CRA.ALERT): "ReadFirmwareVersionAlert",
    (0x0128, CRA.ALERT): "FirmwareTransferAlert",  # CCS08
    (0x007F, CRA.COMMAND): "SetTimeCommand",  # GCS28
    (0x007F, CRA.RESPONSE): "SetTimeResponse",
    (0x0107, CRA.COMMAND): "SupplierTrustAnchorReplacement",  # CS02b supplierByTransCoS [U]
    (0x0107, CRA.RESPONSE): "SupplierTrustAnchorReplacementResponse",
    (0x008C, CRA.COMMAND): "GpfDeviceLogRestoreCommand",  # GCS59
    (0x008C, CRA.RESPONSE): "GpfDeviceLogRestoreResponse",
    (0x00B2, CRA.ALERT): "GpfDeviceLogBackupAlert",  # GCS62
}


def asn1_type_for(message_code: int, cra: CRA) -> str | None:
    """The ASN.1 type of the payload of (message code, CRA), if it is an ASN.1 payload."""
    return ASN1_PAYLOAD_TYPES.get((message_code, cra))


def decode_asn1(type_name: str, data: bytes) -> Any:
    """Decode DER ``data`` as ``type_name``; the value must fill ``data`` exactly."""
    try:
        value, length = _SPEC.decode_with_length(type_name, data)
    except asn1tools.Error as e:
        raise GbcsDecodeError(f"bad {type_name} DER: {e}", _error_offset(e)) from None
    except Exception as e:  # asn1tools lets IndexError & co. out on malformed content: contain it
        raise GbcsDecodeError(f"bad {type_name} DER: {e}", 0) from None
    if length != len(data):
        raise GbcsDecodeError(f"{len(data) - length} trailing bytes after {type_name}", length)
    return value


def encode_asn1(type_name: str, value: Any) -> bytes:
    """DER-encode ``value`` as ``type_name``."""
    return bytes(_SPEC.encode(type_name, value))


def _error_offset(e: Exception) -> int:
    offset = getattr(e, "offset", None)
    return offset if isinstance(offset, int) else 0
