"""The CBKE layer's decode error (DESIGN.md rule 2: one error type per layer)."""

from __future__ import annotations

from ...errors import DecodeError


class CbkeDecodeError(DecodeError):
    """Certificate, point or Key Establishment payload bytes that cannot be decoded.

    Raised for wrong lengths, bad SEC 1 point encodings and x-coordinates with no point on the
    curve. The exchange turns it into a Terminate Key Establishment status; nothing else escapes.
    """

    layer = "cbke"
