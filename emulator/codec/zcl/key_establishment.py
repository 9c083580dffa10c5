"""Key Establishment cluster (0x0800): Certificate-Based Key Establishment (CBKE).

GB use (DOMAIN.md §4): after joining with its install-code key a device runs CBKE with the
Communications Hub, the Trust Centre, to get its TC link key. Which suite GB mandates is open, so
both are modelled and negotiated as ZSE specifies: suite 1 (sect163k1, 48-octet implicit
certificate, 22-octet ephemeral key) and suite 2 (sect283k1, 74-octet certificate, 37-octet key).

Commands and fields: ZSE 1.4 (07-5356-21) Annex C "Key Establishment cluster", cross-checked against
Silicon Labs' ``app/zcl/ami.xml`` and Wireshark's ``packet-zbee-zcl-se.c``. Terminate Key
Establishment travels both ways with the same id and layout. The Identity and Ephemeral Data
fields carry no length prefix: their size follows from the suite, so they are parsed as the rest
of the payload and their length is checked against the suite (an Initiate naming a suite this
module does not know is passed through unchecked, so its receiver can answer UNSUPPORTED_SUITE).
"""

from __future__ import annotations

# zigpy annotates ZCLCommandDef and ZCLAttributeDef with the normalised types it converts to
# (uint8_t ids, compiled schema classes, access flags), not the ints, dicts and strings its own
# declarative clusters pass; arg-type is silenced for these declarations only.
# mypy: disable-error-code="arg-type"
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Self

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy as zse
from zigpy.zcl.foundation import (
    BaseAttributeDefs,
    BaseCommandDefs,
    CommandSchema,
    ZCLAttributeDef,
    ZCLCommandDef,
)

from .types import RestOfPayload, Smac

__all__ = [
    "CERTIFICATE_LENGTH",
    "EPHEMERAL_DATA_LENGTH",
    "KeyEstablishment",
    "KeyEstablishmentStatus",
    "KeyEstablishmentSuite",
]


class KeyEstablishmentSuite(t.bitmap16):
    """KeyEstablishmentSuite attribute and command field (ZSE Annex C)."""

    CRYPTO_SUITE_1 = 0x0001
    CRYPTO_SUITE_2 = 0x0002


class KeyEstablishmentStatus(t.enum8):
    """Terminate Key Establishment status (ZSE Annex C; Wireshark names 6 INVALID_CERTIFICATE,
    Silicon Labs' SE 1.4 data model calls it INVALID_KEY_USAGE)."""

    UNKNOWN_ISSUER = 0x01
    BAD_KEY_CONFIRM = 0x02
    BAD_MESSAGE = 0x03
    NO_RESOURCES = 0x04
    UNSUPPORTED_SUITE = 0x05
    INVALID_CERTIFICATE = 0x06


CERTIFICATE_LENGTH: Mapping[int, int] = MappingProxyType(
    {KeyEstablishmentSuite.CRYPTO_SUITE_1: 48, KeyEstablishmentSuite.CRYPTO_SUITE_2: 74}
)
"""Implicit certificate (the Identity field) octets per suite."""

EPHEMERAL_DATA_LENGTH: Mapping[int, int] = MappingProxyType(
    {KeyEstablishmentSuite.CRYPTO_SUITE_1: 22, KeyEstablishmentSuite.CRYPTO_SUITE_2: 37}
)
"""Compressed ephemeral public key octets per suite."""


def _check_identity(schema: CommandSchema, suite: int) -> None:
    expected = CERTIFICATE_LENGTH.get(int(suite))
    identity = getattr(schema, "identity", None)
    if expected is not None and identity is not None and len(identity) != expected:
        raise ValueError(
            f"suite {int(suite)} needs a {expected}-octet identity, got {len(identity)}"
        )


class _Initiate(CommandSchema):
    """Shared checks for both Initiate Key Establishment commands."""

    def serialize(self) -> bytes:
        _check_identity(self, self._suite())
        return bytes(super().serialize())

    @classmethod
    def deserialize(cls, data: bytes) -> tuple[Self, bytes]:
        parsed, rest = super().deserialize(data)
        _check_identity(parsed, parsed._suite())
        return parsed, rest

    def _suite(self) -> int:
        raise NotImplementedError


class InitiateKeyEstablishmentRequest(_Initiate):
    key_establishment_suite: KeyEstablishmentSuite
    ephemeral_data_generate_time: t.uint8_t
    confirm_key_generate_time: t.uint8_t
    identity: RestOfPayload

    def _suite(self) -> int:
        return int(self.key_establishment_suite)


class InitiateKeyEstablishmentResponse(_Initiate):
    requested_key_establishment_suite: KeyEstablishmentSuite
    ephemeral_data_generate_time: t.uint8_t
    confirm_key_generate_time: t.uint8_t
    identity: RestOfPayload

    def _suite(self) -> int:
        return int(self.requested_key_establishment_suite)


class _Ephemeral(CommandSchema):
    """Ephemeral Data Request/Response: 22 (suite 1) or 37 (suite 2) octets, nothing else."""

    ephemeral_data: RestOfPayload

    def serialize(self) -> bytes:
        self._check()
        return bytes(super().serialize())

    @classmethod
    def deserialize(cls, data: bytes) -> tuple[Self, bytes]:
        parsed, rest = super().deserialize(data)
        parsed._check()
        return parsed, rest

    def _check(self) -> None:
        data: Any = self.ephemeral_data
        if data is not None and len(data) not in EPHEMERAL_DATA_LENGTH.values():
            raise ValueError(f"ephemeral data of {len(data)} octets fits no known suite")


class EphemeralDataRequest(_Ephemeral):
    pass


class EphemeralDataResponse(_Ephemeral):
    pass


_TERMINATE: Final = {
    "status_code": KeyEstablishmentStatus,
    "wait_time": t.uint8_t,
    "key_establishment_suite": KeyEstablishmentSuite,
}


class KeyEstablishment(zse.KeyEstablishment):
    _skip_registry = True

    KeyEstablishmentSuite: Final = KeyEstablishmentSuite
    KeyEstablishmentStatus: Final = KeyEstablishmentStatus

    class AttributeDefs(BaseAttributeDefs):
        # An enum16 on the wire (ZSE Annex C; Silicon Labs' data model), holding the same
        # suite bits as the command fields' bitmap16.
        key_establishment_suite: Final = ZCLAttributeDef(
            id=0x0000, type=t.enum16, access="r", mandatory=True
        )

    class ServerCommandDefs(BaseCommandDefs):
        initiate_key_establishment_request: Final = ZCLCommandDef(
            id=0x00, schema=InitiateKeyEstablishmentRequest
        )
        ephemeral_data_request: Final = ZCLCommandDef(id=0x01, schema=EphemeralDataRequest)
        confirm_key_data_request: Final = ZCLCommandDef(
            id=0x02, schema={"secure_message_authentication_code": Smac}
        )
        terminate_key_establishment: Final = ZCLCommandDef(id=0x03, schema=dict(_TERMINATE))

    class ClientCommandDefs(BaseCommandDefs):
        initiate_key_establishment_response: Final = ZCLCommandDef(
            id=0x00, schema=InitiateKeyEstablishmentResponse
        )
        ephemeral_data_response: Final = ZCLCommandDef(id=0x01, schema=EphemeralDataResponse)
        confirm_key_data_response: Final = ZCLCommandDef(
            id=0x02, schema={"secure_message_authentication_code": Smac}
        )
        terminate_key_establishment_from_server: Final = ZCLCommandDef(
            id=0x03, schema=dict(_TERMINATE)
        )
