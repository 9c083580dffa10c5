"""A HAN device's own Device Log: the partners it may exchange data with (GBCS "join" use cases).

Meters, the GPF and Type 1 devices (PPMID, HCALCS) each keep one, apart from the CHF Device Log
(which says who may join the network at all): CS03A1 / CS03A2 (Method A, meter and non-meter,
followed by CBKE between the two for their application link key), CS03B (Method B, GSME and GPF)
and CS03C (Method C, GSME and PPMID, with the PPMID's Key Agreement certificate) add a partner;
CS04AC / CS04B remove one; CS07 reads the log (GBCS 13.x use cases, layouts as the RTDS 4.5.0
messages show them). ``JoinLog.command`` answers any of these with the response payload, so
every device handles them the same way.

The log is non-volatile (the device's state store). [U] GBCS sizes it per device type; one
capacity, ``JOIN_LOG_CAPACITY``, stands in. [U] Response codes other than 0 (success) are not in
our sources: ``JoinResponse`` names the ones we give.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..codec.eui64 import Eui64
from ..codec.gbcs import MessageCode
from ..codec.gbcs.asn1 import DeviceType, JoinMethodAndRole, encode_asn1
from ..han.stack.state import StateStore

JOIN_LOG_CAPACITY = 16


class JoinResponse(enum.IntEnum):
    """The JoinDeviceResponse / UnjoinDeviceResponse / CS07 response code we send."""

    SUCCESS = 0
    FAILURE = 1
    """[U] The log is full, the partner is not in it, or the command does not fit this device."""


@dataclass(frozen=True)
class Partner:
    eui64: Eui64
    device_type: DeviceType
    method: JoinMethodAndRole
    certificate: bytes | None = field(default=None, repr=False)
    """The partner's KA certificate (DER), carried by CS03C."""


_JOIN_METHODS: dict[int, tuple[JoinMethodAndRole, ...]] = {
    MessageCode.CS03A1_METHOD_A_JOIN_METER: (JoinMethodAndRole.METHOD_A_INITIATOR,),
    MessageCode.CS03A2_METHOD_A_JOIN_NON_METER: (JoinMethodAndRole.METHOD_A_RESPONDER,),
    MessageCode.CS03B_METHOD_B_JOIN: (JoinMethodAndRole.METHOD_B,),
    MessageCode.CS03C_METHOD_C_JOIN: (JoinMethodAndRole.METHOD_C,),
}
_UNJOIN = (MessageCode.CS04AC_METHOD_A_OR_C_UNJOIN, MessageCode.CS04B_METHOD_B_UNJOIN)
HANDLED = frozenset({*_JOIN_METHODS, *_UNJOIN, MessageCode.CS07_READ_DEVICE_JOIN_DETAILS})
"""The message codes ``JoinLog.command`` answers."""


class JoinLog:
    """The partners of one device, persisted in ``store`` under ``key``."""

    def __init__(self, store: StateStore, key: str = "join-log") -> None:
        self._store, self._key = store, key
        self._partners = {
            int(p["eui64"], 16): Partner(
                Eui64(p["eui64"]),
                DeviceType(p["device_type"]),
                JoinMethodAndRole(p["method"]),
                bytes.fromhex(p["certificate"]) if p.get("certificate") else None,
            )
            for p in store.load(key) or []
        }

    def __iter__(self) -> Iterator[Partner]:
        return iter(self._partners.values())

    def __len__(self) -> int:
        return len(self._partners)

    def get(self, eui64: Eui64) -> Partner | None:
        return self._partners.get(int(eui64))

    def add(self, partner: Partner) -> bool:
        """Add or update ``partner``; False when the log is full."""
        if int(partner.eui64) not in self._partners and len(self) >= JOIN_LOG_CAPACITY:
            return False
        self._partners[int(partner.eui64)] = partner
        self._save()
        return True

    def remove(self, eui64: Eui64) -> Partner | None:
        partner = self._partners.pop(int(eui64), None)
        if partner is not None:
            self._save()
        return partner

    def _save(self) -> None:
        self._store.save(
            self._key,
            [
                {
                    "eui64": p.eui64.hex,
                    "device_type": int(p.device_type),
                    "method": int(p.method),
                    "certificate": p.certificate.hex() if p.certificate else None,
                }
                for p in self
            ],
        )

    def command(self, message_code: int, payload: Any) -> tuple[bytes, Partner | None]:
        """Apply a join, unjoin or read command (its decoded ASN.1 ``payload``); returns the
        response content and the partner added or removed (None for CS07 or a failure)."""
        methods = _JOIN_METHODS.get(message_code)
        if methods is not None:
            partner = _partner(payload, methods)
            ok = partner is not None and self.add(partner)
            return _code("JoinDeviceResponse", ok), partner if ok else None
        if message_code in _UNJOIN:
            removed = self.remove(Eui64(payload)) if isinstance(payload, bytes) else None
            return _code("UnjoinDeviceResponse", removed is not None), removed
        if message_code == MessageCode.CS07_READ_DEVICE_JOIN_DETAILS:
            entries = [{"deviceId": p.eui64.big(), "deviceType": int(p.device_type)} for p in self]
            response = {"responseCode": int(JoinResponse.SUCCESS), "deviceLogEntries": entries}
            return encode_asn1("ReadDeviceJoinDetailsResponse", response), None
        raise ValueError(f"message code 0x{message_code:04X} is not a join use case")


def _partner(payload: Any, methods: tuple[JoinMethodAndRole, ...]) -> Partner | None:
    """The partner a JoinDeviceCommand names, if its role is the one its message code implies."""
    if not isinstance(payload, dict) or payload.get("joinMethodAndRole") not in methods:
        return None
    certificate = payload.get("otherDeviceCertificate")  # asn1tools gives a bytearray
    try:
        return Partner(
            Eui64(payload["otherDeviceEntityIdentifier"]),
            DeviceType(payload["otherDeviceType"]),
            JoinMethodAndRole(payload["joinMethodAndRole"]),
            None if certificate is None else bytes(certificate),
        )
    except (KeyError, ValueError, TypeError):
        return None


def _code(type_name: str, ok: bool) -> bytes:
    return encode_asn1(type_name, int(JoinResponse.SUCCESS if ok else JoinResponse.FAILURE))
