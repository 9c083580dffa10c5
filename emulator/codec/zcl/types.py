"""ZCL field types the Smart Energy clusters need and zigpy lacks or gets wrong.

Everything else is zigpy's own (``zigpy.types``): fixed-width integers, ``enum8``, ``bitmap8``,
``UTCTime``, ``Date``, ``LVBytes`` (the ZCL octet string), ``Bytes`` (the rest of the payload).
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import zigpy.types as t

__all__ = [
    "CharacterString",
    "FixedOctets",
    "OctetString",
    "RestOfPayload",
    "Smac",
    "counted_by",
]

OctetString = t.LVBytes
"""ZCL octet string (type 0x41): one length octet, then up to 254 octets (0xFF means invalid)."""

RestOfPayload = t.Bytes
"""Octets that run to the end of the ZCL payload, e.g. Tunneling's Transfer Data."""


class CharacterString(t.CharacterString):
    """ZCL character string (type 0x42) whose length octet counts encoded octets.

    zigpy's own ``CharacterString`` writes the number of *characters*, which breaks any message
    that is not pure ASCII (ZCL §2.6.2: the length is in octets).
    """

    def serialize(self) -> bytes:
        if getattr(self, "invalid", False):
            return b"\xff"
        encoded = str(self).encode("utf-8")
        if len(encoded) >= 0xFF:
            raise ValueError(f"character string too long: {len(encoded)} octets")
        return bytes((len(encoded),)) + encoded


class FixedOctets(bytes):
    """A field of exactly ``length`` raw octets, no length prefix."""

    length: ClassVar[int] = 0

    def serialize(self) -> bytes:
        if len(self) != self.length:
            raise ValueError(f"{type(self).__name__} needs {self.length} octets, got {len(self)}")
        return bytes(self)

    @classmethod
    def deserialize(cls, data: bytes) -> tuple[Self, bytes]:
        if len(data) < cls.length:
            raise ValueError(f"{cls.__name__} needs {cls.length} octets, have {len(data)}")
        return cls(data[: cls.length]), data[cls.length :]


class Smac(FixedOctets):
    """A 16-octet Secure Message Authentication Code (ZSE Annex C, Confirm Key Data)."""

    length = 16


def counted_by(count_field: str) -> Any:
    """A list field whose item count is the value of the earlier field ``count_field``."""
    return t.StructField(length=lambda s: int(getattr(s, count_field)))
