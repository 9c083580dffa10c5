"""ZSE implicit (ECQV) certificates: the 48-byte suite 1 and the 74-byte suite 2 layouts.

Suite 1 (ZSE Annex C.4.2.2.4; Wireshark ``dissect_zcl_ke_suite1_certificate``)::

    0  22  PublicReconstrKey (compressed sect163k1 point)
    22  8  Subject (EUI-64, big-endian)
    30  8  Issuer
    38 10  ProfileAttributeData (starts with the SE profile id 0x0109)

Suite 2 (C.4.2.3.3, Table C-13; Wireshark ``dissect_zcl_ke_suite2_certificate``)::

    0   1  Type (0x00: implicit, no extensions)
    1   8  SerialNumber
    9   1  Curve (0x0D: sect283k1)
    10  1  Hash (0x08: AES-MMO)
    11  8  Issuer
    19  5  ValidFrom (40-bit Unix seconds)
    24  4  ValidTo (seconds after ValidFrom; 0xFFFFFFFF: never expires)
    28  8  Subject (EUI-64, big-endian)
    36  1  KeyUsage (0x08 key agreement, 0x80 digital signature)
    37 37  PublicReconstrKey (compressed sect283k1 point)

Decoding checks lengths only, so any 48/74 bytes round-trip byte-exactly (the ECQV hash covers
the certificate as sent). Whether the fields are acceptable is ``ecqv.check_certificate``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...eui64 import Eui64
from ...reader import Reader
from .errors import CbkeDecodeError
from .suites import KeyEstablishmentSuite

#: Suite 2 Type field: an implicit certificate with no extensions.
CERTIFICATE_TYPE_IMPLICIT = 0x00
#: Suite 2 Curve field value for sect283k1.
CURVE_SECT283K1 = 0x0D
#: Suite 2 Hash field value for the AES-MMO hash.
HASH_AES_MMO = 0x08
#: Suite 2 KeyUsage bits.
KEY_USAGE_KEY_AGREEMENT = 0x08
KEY_USAGE_DIGITAL_SIGNATURE = 0x80
#: Suite 2 ValidTo meaning "no expiry".
VALID_TO_NO_EXPIRY = 0xFFFFFFFF
#: The SE profile id that opens suite 1 ProfileAttributeData.
SE_PROFILE_ID = 0x0109


@dataclass(frozen=True, slots=True)
class Suite1Certificate:
    """A 48-byte crypto suite 1 implicit certificate (C.4.2.2.4)."""

    suite: ClassVar[KeyEstablishmentSuite] = KeyEstablishmentSuite.CRYPTO_SUITE_1
    LENGTH: ClassVar[int] = 48

    public_reconstruction_key: bytes
    subject: Eui64
    issuer: bytes
    profile_attribute_data: bytes

    def __post_init__(self) -> None:
        _check_len("PublicReconstrKey", self.public_reconstruction_key, 22)
        _check_len("Issuer", self.issuer, 8)
        _check_len("ProfileAttributeData", self.profile_attribute_data, 10)

    @classmethod
    def from_bytes(cls, data: bytes) -> Suite1Certificate:
        r = Reader(bytes(data), CbkeDecodeError)
        if len(data) != cls.LENGTH:
            raise CbkeDecodeError(f"suite 1 certificate is 48 bytes, got {len(data)}", 0)
        return cls(
            public_reconstruction_key=r.take(22, "PublicReconstrKey"),
            subject=Eui64(r.take(8, "Subject")),
            issuer=r.take(8, "Issuer"),
            profile_attribute_data=r.take(10, "ProfileAttributeData"),
        )

    def to_bytes(self) -> bytes:
        return (
            self.public_reconstruction_key
            + self.subject.big()
            + self.issuer
            + self.profile_attribute_data
        )


@dataclass(frozen=True, slots=True)
class Suite2Certificate:
    """A 74-byte crypto suite 2 implicit certificate (C.4.2.3.3, Table C-13)."""

    suite: ClassVar[KeyEstablishmentSuite] = KeyEstablishmentSuite.CRYPTO_SUITE_2
    LENGTH: ClassVar[int] = 74

    serial_number: bytes
    issuer: bytes
    valid_from: int
    valid_to: int
    subject: Eui64
    key_usage: int
    public_reconstruction_key: bytes
    type: int = CERTIFICATE_TYPE_IMPLICIT
    curve: int = CURVE_SECT283K1
    hash: int = HASH_AES_MMO

    def __post_init__(self) -> None:
        _check_len("SerialNumber", self.serial_number, 8)
        _check_len("Issuer", self.issuer, 8)
        _check_len("PublicReconstrKey", self.public_reconstruction_key, 37)
        for name, value, bits in (
            ("ValidFrom", self.valid_from, 40),
            ("ValidTo", self.valid_to, 32),
            ("KeyUsage", self.key_usage, 8),
            ("Type", self.type, 8),
            ("Curve", self.curve, 8),
            ("Hash", self.hash, 8),
        ):
            if not 0 <= value < 1 << bits:
                raise ValueError(f"{name} {value:#x} does not fit {bits} bits")

    @classmethod
    def from_bytes(cls, data: bytes) -> Suite2Certificate:
        if len(data) != cls.LENGTH:
            raise CbkeDecodeError(f"suite 2 certificate is 74 bytes, got {len(data)}", 0)
        r = Reader(bytes(data), CbkeDecodeError)
        cert_type = r.u8("Type")
        serial = r.take(8, "SerialNumber")
        curve = r.u8("Curve")
        hash_id = r.u8("Hash")
        issuer = r.take(8, "Issuer")
        valid_from = int.from_bytes(r.take(5, "ValidFrom"), "big")
        valid_to = int.from_bytes(r.take(4, "ValidTo"), "big")
        subject = Eui64(r.take(8, "Subject"))
        key_usage = r.u8("KeyUsage")
        point = r.take(37, "PublicReconstrKey")
        return cls(
            serial_number=serial,
            issuer=issuer,
            valid_from=valid_from,
            valid_to=valid_to,
            subject=subject,
            key_usage=key_usage,
            public_reconstruction_key=point,
            type=cert_type,
            curve=curve,
            hash=hash_id,
        )

    def to_bytes(self) -> bytes:
        return (
            bytes([self.type])
            + self.serial_number
            + bytes([self.curve, self.hash])
            + self.issuer
            + self.valid_from.to_bytes(5, "big")
            + self.valid_to.to_bytes(4, "big")
            + self.subject.big()
            + bytes([self.key_usage])
            + self.public_reconstruction_key
        )

    def valid_at(self, unix_seconds: int) -> bool:
        """ValidFrom <= t <= ValidFrom + ValidTo, or ValidTo = no expiry (as Wireshark reads it)."""
        if unix_seconds < self.valid_from:
            return False
        return (
            self.valid_to == VALID_TO_NO_EXPIRY or unix_seconds <= self.valid_from + self.valid_to
        )


ImplicitCertificate = Suite1Certificate | Suite2Certificate


def decode_certificate(suite: int, data: bytes) -> ImplicitCertificate:
    """The certificate of ``suite`` in ``data``; ``CbkeDecodeError`` on a wrong length."""
    if suite == KeyEstablishmentSuite.CRYPTO_SUITE_1:
        return Suite1Certificate.from_bytes(data)
    if suite == KeyEstablishmentSuite.CRYPTO_SUITE_2:
        return Suite2Certificate.from_bytes(data)
    raise CbkeDecodeError(f"no certificate format for key establishment suite {suite:#06x}", 0)


def _check_len(name: str, value: bytes, length: int) -> None:
    if len(value) != length:
        raise ValueError(f"{name} is {length} bytes, got {len(value)}")
