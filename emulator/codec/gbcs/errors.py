"""The GBCS layer's member of the codec error family (DESIGN.md rule 2)."""

from __future__ import annotations

from ..errors import DecodeError


class GbcsDecodeError(DecodeError):
    """GBCS bytes that cannot be decoded: truncated, over-long, wrong tag or wrong length."""

    layer = "gbcs"


class GbcsCryptoError(Exception):
    """A cryptographic operation could not run (missing key, wrong key type); never a verdict."""
