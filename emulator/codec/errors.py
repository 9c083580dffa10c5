"""The one error family every decoder raises (DESIGN.md rule 2)."""

from __future__ import annotations


class DecodeError(ValueError):
    """Bytes that cannot be decoded: which layer, at which byte offset, and why.

    Offsets count from the start of the buffer handed to that layer's decoder.
    """

    layer = "codec"

    def __init__(self, reason: str, offset: int = 0, layer: str | None = None) -> None:
        self.reason = reason
        self.offset = offset
        if layer is not None:
            self.layer = layer
        super().__init__(f"{self.layer}: {reason} (at offset {offset})")

    def shifted(self, by: int) -> DecodeError:
        """The same error with its offset moved by ``by``, for a decoder nested in an outer one."""
        return type(self)(self.reason, self.offset + by, self.layer)


class MacDecodeError(DecodeError):
    layer = "ieee802154"


class NwkDecodeError(DecodeError):
    layer = "zigbee-nwk"


class ApsDecodeError(DecodeError):
    layer = "zigbee-aps"


class ZdoDecodeError(DecodeError):
    layer = "zigbee-zdo"


class ZclDecodeError(DecodeError):
    layer = "zcl"


class SecurityError(DecodeError):
    """A frame that does not authenticate: wrong key, wrong nonce, or tampered bytes."""

    layer = "security"
